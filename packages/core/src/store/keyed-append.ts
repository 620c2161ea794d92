import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import { v7 as uuidv7 } from 'uuid';
import type { EventEnvelope, EventMetadata, NewEvent } from '../events/envelope.ts';
import { toColumns, type CommitColumns, type EventColumns } from './codec.ts';
import { assertStreamId, versionKey } from './keys.ts';
import type { PendingMarkers } from './pending-markers.ts';
import { isConflict, isNotFound } from './storage.ts';

export interface KeyedEvent {
  /** Natural key (e.g. a payment transaction id): stored at most once per partition. */
  key: string;
  event: NewEvent;
}

export interface KeyedAppendResult {
  stored: EventEnvelope[];
  /** The key of each stored event, in the same order. */
  storedKeys: string[];
  /** Keys already stored by an earlier commit. */
  duplicates: string[];
}

/** A keyed commit holds this many events plus its commit row: one transaction. */
export const maxKeyedEvents = 99;
/** Event versions inside a keyed partition are commit × this + index. */
export const keyedVersionStride = 100;
export const keyRowKey = (key: string) => `k|${key}`;

/**
 * High-volume ingestion into a partition: each event's row is keyed by its natural
 * key (so a re-sent one fails to insert instead of doubling), and one commit row at
 * the next zero-padded position lists the keys, giving the relay the same ordered
 * "rows after a cursor" it reads from ordinary streams. N events cost N + 1 rows
 * in one entity-group transaction.
 */
export class KeyedAppender {
  private readonly table: Promise<TableClient>;
  private readonly container: () => Promise<ContainerClient>;
  private readonly markers: PendingMarkers;
  private readonly heads = new Map<string, number>();
  /** Appends to one partition from this process go one at a time: they would only collide. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(table: Promise<TableClient>, container: () => Promise<ContainerClient>, markers: PendingMarkers) {
    this.table = table;
    this.container = container;
    this.markers = markers;
  }

  /** Appends up to 99 keyed events to a partition; reports keys that were stored before. */
  append(partition: string, items: KeyedEvent[], metadata: EventMetadata): Promise<KeyedAppendResult & { rows: EventColumns[]; commit: number }> {
    const previous = this.queues.get(partition) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.appendNow(partition, items, metadata));
    this.queues.set(partition, next);
    void next.finally(() => {
      if (this.queues.get(partition) === next) this.queues.delete(partition);
    }).catch(() => undefined);
    return next;
  }

  private async appendNow(partition: string, items: KeyedEvent[], metadata: EventMetadata): Promise<KeyedAppendResult & { rows: EventColumns[]; commit: number }> {
    assertStreamId(partition);
    if (items.length > maxKeyedEvents) throw new RangeError(`a keyed commit holds at most ${maxKeyedEvents} events`);
    for (const item of items) assertStreamId(item.key);
    const duplicates: string[] = [];
    let pending = dedupe(items, duplicates);
    const table = await this.table;
    await this.markers.mark(partition);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 20) throw new Error(`partition ${partition} is too busy to append to`);
      const known = this.heads.get(partition);
      const commit = (known ?? (await this.head(partition, 0))) + 1;
      const occurredAt = metadata.occurredAt ?? new Date().toISOString();
      const envelopes = pending.map((item, i): EventEnvelope => ({
        id: uuidv7(),
        type: item.event.type,
        schemaVersion: item.event.schemaVersion ?? 1,
        stream: partition,
        version: commit * keyedVersionStride + i + 1,
        occurredAt,
        who: metadata.who,
        correlationId: metadata.correlationId,
        causationId: metadata.causationId,
        data: item.event.data,
      }));
      const rows = (await Promise.all(envelopes.map((e) => toColumns(e, this.container)))).map((columns) => ({ ...columns, p: commit }));
      const commitRow: CommitColumns = { kind: 'commit', keys: JSON.stringify(pending.map((i) => i.key)), at: occurredAt };
      const actions: TransactionAction[] = [
        ['create', { partitionKey: partition, rowKey: versionKey(commit), ...commitRow }],
        ...rows.map((row, i): TransactionAction => ['create', { partitionKey: partition, rowKey: keyRowKey(pending[i]!.key), ...row }]),
      ];
      try {
        await table.submitTransaction(actions);
      } catch (error) {
        if (!isConflict(error)) throw error;
        // Either another writer took this position, or some keys exist already.
        const existing = await this.existingKeys(partition, pending.map((i) => i.key));
        if (existing.size > 0) {
          duplicates.push(...pending.filter((i) => existing.has(i.key)).map((i) => i.key));
          pending = pending.filter((i) => !existing.has(i.key));
        } else {
          // Another process took the position: read onward from what we knew.
          this.heads.set(partition, await this.head(partition, commit - 1));
        }
        continue;
      }
      this.heads.set(partition, commit);
      await this.markers.confirm(partition);
      return { stored: envelopes, storedKeys: pending.map((i) => i.key), duplicates, rows, commit };
    }
    return { stored: [], storedKeys: [], duplicates, rows: [], commit: 0 };
  }

  /** The last commit position in a partition (0 when none), reading on from a known one. */
  private async head(partition: string, known: number): Promise<number> {
    const table = await this.table;
    let head = known;
    const rows = table.listEntities<{ rowKey?: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${partition} and RowKey gt ${versionKey(known)} and RowKey le ${versionKey(9_999_999_999)}`, select: ['RowKey'] },
    });
    for await (const row of rows) head = Math.max(head, Number(row.rowKey));
    return head;
  }

  private async existingKeys(partition: string, keys: string[]): Promise<Set<string>> {
    const table = await this.table;
    const found = await Promise.all(
      keys.map(async (key) => {
        try {
          await table.getEntity(partition, keyRowKey(key), { queryOptions: { select: ['RowKey'] } });
          return key;
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      }),
    );
    return new Set(found.filter((k): k is string => k !== undefined));
  }
}

/** Within one request, a key's second occurrence is a duplicate of its first. */
function dedupe(items: KeyedEvent[], duplicates: string[]): KeyedEvent[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(item.key)) {
      duplicates.push(item.key);
      return false;
    }
    seen.add(item.key);
    return true;
  });
}
