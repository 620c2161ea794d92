import type { TableClient, TransactionAction } from '@azure/data-tables';
import { isNotFound } from '../store/storage.ts';
import type { ViewRow, ViewTable } from './define-projection.ts';

/** Column on every view row: the feed seq of the event that last wrote it. */
export const seqColumn = '_seq';

interface Slot {
  row: ViewRow | null;
  dirty: boolean;
}

/**
 * Buffers a batch's view writes in memory. Each row carries the seq that last wrote
 * it, and an event never changes a row that already reflects it: replaying a batch
 * after a crash leaves the view exactly as one pass would.
 */
export class ViewBuffer {
  private readonly tables: Map<string, TableClient>;
  private readonly slots = new Map<string, Map<string, Slot>>();
  private journal: { table: string; key: string; previous: Slot | undefined }[] = [];
  seq = 0;

  constructor(tables: Map<string, TableClient>) {
    this.tables = tables;
  }

  /** A property, not a method, so handlers may destructure it (`{ view }`). */
  readonly view = (table: string): ViewTable => {
    const client = this.tables.get(table);
    if (!client) throw new Error(`view table ${table} is not declared by this projection`);
    return {
      get: (pk, rk) => this.get(table, client, pk, rk),
      update: async (pk, rk, change) => {
        const current = await this.get(table, client, pk, rk);
        if (current && Number(current[seqColumn] ?? 0) >= this.seq) return;
        const next = change(current ? { ...current } : undefined);
        this.set(table, pk, rk, next === null ? null : { ...next, partitionKey: pk, rowKey: rk, [seqColumn]: this.seq });
      },
      put: (row) => {
        this.set(table, row.partitionKey, row.rowKey, { ...row, [seqColumn]: this.seq });
      },
    };
  };

  /** Forget the writes of the current event (its handler threw). */
  rollback(): void {
    for (const { table, key, previous } of this.journal.reverse()) {
      const slots = this.slots.get(table)!;
      if (previous) slots.set(key, previous);
      else slots.delete(key);
    }
    this.journal = [];
  }

  /** The current event's writes stand. */
  commit(): void {
    this.journal = [];
  }

  /** Writes every changed row: upserts grouped into transactions per partition, then deletes. */
  async flush(): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const [table, slots] of this.slots) {
      const client = this.tables.get(table)!;
      const upserts = new Map<string, ViewRow[]>();
      for (const [key, slot] of slots) {
        if (!slot.dirty) continue;
        if (slot.row === null) {
          const [pk, rk] = splitKey(key);
          work.push(client.deleteEntity(pk, rk).catch((error) => (isNotFound(error) ? undefined : Promise.reject(error))));
          continue;
        }
        const partition = upserts.get(slot.row.partitionKey) ?? [];
        partition.push(slot.row);
        upserts.set(slot.row.partitionKey, partition);
      }
      for (const rows of upserts.values()) {
        for (let i = 0; i < rows.length; i += 100) {
          const chunk = rows.slice(i, i + 100);
          if (chunk.length === 1) work.push(client.upsertEntity(toEntity(chunk[0]!), 'Replace'));
          else work.push(client.submitTransaction(chunk.map((row): TransactionAction => ['upsert', toEntity(row), 'Replace'])));
        }
      }
    }
    await Promise.all(work);
    this.slots.clear();
    this.journal = [];
  }

  private async get(table: string, client: TableClient, pk: string, rk: string): Promise<ViewRow | undefined> {
    const slot = this.slots.get(table)?.get(joinKey(pk, rk));
    if (slot) return slot.row ?? undefined;
    let row: ViewRow | null = null;
    try {
      row = fromEntity(await client.getEntity(pk, rk));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    this.slotsOf(table).set(joinKey(pk, rk), { row, dirty: false });
    return row ?? undefined;
  }

  private set(table: string, pk: string, rk: string, row: ViewRow | null): void {
    const slots = this.slotsOf(table);
    const key = joinKey(pk, rk);
    this.journal.push({ table, key, previous: slots.get(key) });
    slots.set(key, { row, dirty: true });
  }

  private slotsOf(table: string): Map<string, Slot> {
    let slots = this.slots.get(table);
    if (!slots) this.slots.set(table, (slots = new Map()));
    return slots;
  }
}

const joinKey = (pk: string, rk: string) => `${pk}\u0000${rk}`;
const splitKey = (key: string) => key.split('\u0000') as [string, string];

/** Drops the SDK's bookkeeping fields. */
export function fromEntity(entity: Record<string, unknown>): ViewRow {
  const { etag: _etag, timestamp: _timestamp, 'odata.metadata': _meta, ...row } = entity;
  return row as ViewRow;
}

function toEntity(row: ViewRow): ViewRow {
  const entity: ViewRow = { partitionKey: row.partitionKey, rowKey: row.rowKey };
  for (const [key, value] of Object.entries(row)) {
    if (value === undefined || key === 'etag' || key === 'timestamp') continue;
    entity[key] = value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value;
  }
  return entity;
}
