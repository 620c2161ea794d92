import type { TableClient, TransactionAction } from '@azure/data-tables';
import { isNotFound } from '../store/storage.ts';
import type { ViewRow, ViewTable } from './define-projection.ts';
import type { RowCache } from './row-cache.ts';

/** Where view rows live: an Azure table, or memory in unit tests. */
export interface ViewStore {
  get(partitionKey: string, rowKey: string): Promise<ViewRow | undefined>;
  /** Rows of one partition, written together. */
  upsert(rows: ViewRow[]): Promise<void>;
  delete(partitionKey: string, rowKey: string): Promise<void>;
}

/** A view store on an Azure table: a transaction per ≤100 rows of one partition. */
export function tableViewStore(client: TableClient): ViewStore {
  return {
    async get(pk, rk) {
      try {
        return fromEntity(await client.getEntity(pk, rk));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async upsert(rows) {
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < rows.length; i += 100) {
        const chunk = rows.slice(i, i + 100);
        if (chunk.length === 1) work.push(client.upsertEntity(toEntity(chunk[0]!), 'Replace'));
        else work.push(client.submitTransaction(chunk.map((row): TransactionAction => ['upsert', toEntity(row), 'Replace'])));
      }
      await Promise.all(work);
    },
    async delete(pk, rk) {
      await client.deleteEntity(pk, rk).catch((error) => (isNotFound(error) ? undefined : Promise.reject(error)));
    },
  };
}

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
  private readonly tables: Map<string, ViewStore>;
  private readonly slots = new Map<string, Map<string, Slot>>();
  private journal: { table: string; key: string; previous: Slot | undefined }[] = [];
  private readonly cache: RowCache | undefined;
  seq = 0;

  constructor(tables: Map<string, ViewStore>, cache?: RowCache) {
    this.tables = tables;
    this.cache = cache;
  }

  /** A property, not a method, so handlers may destructure it (`{ view }`). */
  readonly view = (table: string): ViewTable => {
    const store = this.tables.get(table);
    if (!store) throw new Error(`view table ${table} is not declared by this projection`);
    return {
      get: (pk, rk) => this.get(table, store, pk, rk),
      update: async (pk, rk, change) => {
        const current = await this.get(table, store, pk, rk);
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

  /** Writes every changed row: upserts grouped by partition, and deletes. */
  async flush(): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const [table, slots] of this.slots) {
      const store = this.tables.get(table)!;
      const upserts = new Map<string, ViewRow[]>();
      for (const [key, slot] of slots) {
        if (!slot.dirty) continue;
        if (slot.row === null) {
          const [pk, rk] = splitKey(key);
          this.cache?.set(table, pk, rk, null);
          work.push(store.delete(pk, rk));
          continue;
        }
        this.cache?.set(table, slot.row.partitionKey, slot.row.rowKey, slot.row);
        const partition = upserts.get(slot.row.partitionKey) ?? [];
        partition.push(slot.row);
        upserts.set(slot.row.partitionKey, partition);
      }
      for (const rows of upserts.values()) work.push(store.upsert(rows));
    }
    await Promise.all(work);
    this.slots.clear();
    this.journal = [];
  }

  private async get(table: string, store: ViewStore, pk: string, rk: string): Promise<ViewRow | undefined> {
    const slot = this.slots.get(table)?.get(joinKey(pk, rk));
    if (slot) return slot.row ?? undefined;
    let row = this.cache?.get(table, pk, rk);
    if (row === undefined) {
      row = (await store.get(pk, rk)) ?? null;
      this.cache?.set(table, pk, rk, row);
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
