import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import { v7 as uuidv7 } from 'uuid';
import type { EventEnvelope, EventMetadata, NewEvent } from '../events/envelope.ts';
import { currentTraceparent } from '../tracing/trace-context.ts';
import { toColumns, type CommitColumns, type EventColumns } from './codec.ts';
import { lastOfPrefix } from './gapless.ts';
import { assertStreamId, versionKey } from './keys.ts';
import type { PendingMarkers } from './pending-markers.ts';
import { isConflict, isNotFound, isTransient } from './storage.ts';

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
/** A row of each keyed partition holding a commit known to be stored: where a fresh appender starts looking. */
const headMarkRowKey = '~head';
/** Every this many commits an appender leaves the mark (one upsert per hundred commits). */
const headMarkEvery = 100;

/** Failed attempts (errors other than a conflict) before an append gives up. */
const maxFailures = 4;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface KeyedAppenderParts {
  table: Promise<TableClient>;
  /** The same table without the SDK's retries. */
  writer: Promise<TableClient>;
  container: () => Promise<ContainerClient>;
  markers: PendingMarkers;
  attemptMs: number;
}

/**
 * High-volume ingestion into a partition: each event's row is keyed by its natural
 * key (so a re-sent one fails to insert instead of doubling), and one commit row at
 * the next zero-padded position lists the keys, giving the relay the same ordered
 * "rows after a cursor" it reads from ordinary streams. N events cost N + 1 rows
 * in one entity-group transaction.
 *
 * An event keeps its id over every attempt, so a commit whose response was lost is
 * recognised as ours when read back, not reported as a duplicate of itself.
 */
export class KeyedAppender {
  private readonly parts: KeyedAppenderParts;
  private readonly heads = new Map<string, number>();
  /** Appends to one partition from this process go one at a time: they would only collide. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(parts: KeyedAppenderParts) {
    this.parts = parts;
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
    const ids = new Map(pending.map((item) => [item.key, uuidv7()]));
    const traceparent = metadata.traceparent ?? currentTraceparent();
    const writer = await this.parts.writer;
    let failures = 0;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 20) throw new Error(`partition ${partition} is too busy to append to`);
      const known = this.heads.get(partition);
      const commit = (known ?? (await this.head(partition, 0))) + 1;
      const occurredAt = metadata.occurredAt ?? new Date().toISOString();
      const envelopes = pending.map((item, i): EventEnvelope => ({
        id: ids.get(item.key)!,
        type: item.event.type,
        schemaVersion: item.event.schemaVersion ?? 1,
        stream: partition,
        version: commit * keyedVersionStride + i + 1,
        occurredAt,
        who: metadata.who,
        correlationId: metadata.correlationId,
        causationId: metadata.causationId,
        traceparent,
        data: item.event.data,
      }));
      const rows = (await Promise.all(envelopes.map((e) => toColumns(e, this.parts.container)))).map((columns) => ({ ...columns, p: commit }));
      const commitRow: CommitColumns = { kind: 'commit', keys: JSON.stringify(pending.map((i) => i.key)), at: occurredAt };
      const actions: TransactionAction[] = [
        ['create', { partitionKey: partition, rowKey: versionKey(commit), ...commitRow }],
        ...rows.map((row, i): TransactionAction => ['create', { partitionKey: partition, rowKey: keyRowKey(pending[i]!.key), ...row }]),
      ];
      await this.parts.markers.mark(partition);
      try {
        await writer.submitTransaction(actions, { abortSignal: AbortSignal.timeout(this.parts.attemptMs) });
      } catch (error) {
        // The transaction is atomic: its first key's row, with our id, tells whether it committed.
        if (await this.committed(partition, pending[0]!.key, envelopes[0]!.id)) {
          this.heads.set(partition, commit);
          this.markHead(partition, commit);
          return { stored: envelopes, storedKeys: pending.map((i) => i.key), duplicates, rows, commit };
        }
        if (!isConflict(error)) {
          if (!isTransient(error) || ++failures >= maxFailures) throw error;
          await sleep(50 * 4 ** failures);
          continue;
        }
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
      this.markHead(partition, commit);
      return { stored: envelopes, storedKeys: pending.map((i) => i.key), duplicates, rows, commit };
    }
    return { stored: [], storedKeys: [], duplicates, rows: [], commit: 0 };
  }

  /** True when the key's row holds the event id this append gave it. */
  private async committed(partition: string, key: string, id: string): Promise<boolean> {
    try {
      const row = await (await this.parts.table).getEntity<{ id: string }>(partition, keyRowKey(key), { queryOptions: { select: ['id'] } });
      return row.id === id;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The last commit position in a partition (0 when none), reading on from a known one. */
  /**
   * The partition's last commit position, from `known` on. Commit rows are a gapless
   * prefix 1..N (each is created at the head + 1, insert-only), so after one page of keys
   * a galloping search with point reads finds the head: a process's first append to a
   * partition of N commits reads about 2 log2(N) rows, not all N.
   */
  /**
   * Every hundredth commit, the partition's mark names it (written after it is stored, so
   * a mark never runs ahead of the commits; a lost or late write only leaves an older one).
   */
  private markHead(partition: string, commit: number): void {
    if (commit % headMarkEvery !== 0) return;
    void this.parts.writer
      .then((writer) => writer.upsertEntity({ partitionKey: partition, rowKey: headMarkRowKey, commit }, 'Replace'))
      .catch(() => undefined);
  }

  /** The commit the partition's mark names, when that commit is stored; else 0. */
  private async marked(partition: string): Promise<number> {
    try {
      const row = await (await this.parts.table).getEntity<{ commit: number }>(partition, headMarkRowKey);
      const commit = Number(row.commit);
      return Number.isSafeInteger(commit) && commit > 0 && (await this.commitExists(partition, commit)) ? commit : 0;
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
  }

  private async head(partition: string, known: number): Promise<number> {
    const table = await this.parts.table;
    let low = known > 0 ? known : await this.marked(partition);
    let full = false;
    const pages = table
      .listEntities<{ rowKey?: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${partition} and RowKey gt ${versionKey(low)} and RowKey le ${versionKey(9_999_999_999)}`, select: ['RowKey'] },
      })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      for (const row of page) low = Math.max(low, Number(row.rowKey));
      full = page.length >= 1000;
      break;
    }
    return full ? lastOfPrefix(low, (commit) => this.commitExists(partition, commit)) : low;
  }

  private async commitExists(partition: string, commit: number): Promise<boolean> {
    try {
      await (await this.parts.table).getEntity(partition, versionKey(commit), { queryOptions: { select: ['RowKey'] } });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private async existingKeys(partition: string, keys: string[]): Promise<Set<string>> {
    const table = await this.parts.table;
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
