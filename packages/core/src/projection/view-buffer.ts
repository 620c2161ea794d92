import type { ViewRow, ViewTable } from './define-projection.ts';
import type { RowCache } from './row-cache.ts';
import { partitionColumn, RowMovedError, seqColumn, ViewConflictError, type RowWrite, type StoredRow, type ViewStore } from './view-store.ts';

export { fromEntity, seqColumn, tableViewStore, ViewConflictError, type StoredRow, type ViewStore } from './view-store.ts';

interface Slot {
  row: ViewRow | null;
  /** The version the row was read at (ETag), or `null` when it did not exist. */
  base: string | null;
  /** The seq of a tombstone (a deleted row remembers when). */
  deletedAt?: number;
  dirty: boolean;
  /** Written by `put` in this batch: its content no longer depends on the version read. */
  put: boolean;
}

/** Times a chunk is re-sent after rows moved under it for reasons that are ours. */
const resends = 3;

/**
 * Buffers a batch's view writes in memory. Each row carries the seq that last wrote
 * it, and an event never changes a row that already reflects it: replaying a batch
 * after a crash leaves the view exactly as one pass would. Each row is written only
 * over the version it was computed from (see ViewStore): the writes of a runner that
 * lost its lease fail instead of overwriting its successor's.
 */
export class ViewBuffer {
  private readonly tables: Map<string, ViewStore>;
  private readonly slots = new Map<string, Map<string, Slot>>();
  private journal: { table: string; key: string; previous: Slot | undefined }[] = [];
  private readonly cache: RowCache | undefined;
  seq = 0;
  /** Set for a partitioned projection: rows are tagged with it, and a row of another partition is refused. */
  private readonly partition: number | undefined;

  constructor(tables: Map<string, ViewStore>, cache?: RowCache, partition?: number) {
    this.tables = tables;
    this.cache = cache;
    this.partition = partition;
  }

  /** The bookkeeping columns of a row this event writes. */
  private stamp(): Record<string, number> {
    return this.partition === undefined ? { [seqColumn]: this.seq } : { [seqColumn]: this.seq, [partitionColumn]: this.partition };
  }

  /** A partitioned projection's row belongs to the partition that wrote it first. */
  private assertOurs(table: string, row: ViewRow | null): void {
    if (this.partition === undefined || !row) return;
    const owner = row[partitionColumn];
    if (owner !== undefined && Number(owner) !== this.partition) throw new RowOfAnotherPartitionError(table, row, Number(owner), this.partition);
  }

  /** A property, not a method, so handlers may destructure it (`{ view }`). */
  readonly view = (table: string): ViewTable => {
    const store = this.tables.get(table);
    if (!store) throw new Error(`view table ${table} is not declared by this projection`);
    return {
      get: async (pk, rk) => (await this.slot(table, store, pk, rk)).row ?? undefined,
      update: async (pk, rk, change) => {
        const slot = await this.slot(table, store, pk, rk);
        this.assertOurs(table, slot.row);
        const at = slot.row ? Number(slot.row[seqColumn] ?? 0) : (slot.deletedAt ?? 0);
        if (at >= this.seq) return;
        const next = change(slot.row ? { ...slot.row } : undefined);
        this.set(table, pk, rk, { ...slot, dirty: true, row: next === null ? null : { ...next, partitionKey: pk, rowKey: rk, ...this.stamp() } });
      },
      put: (row) => {
        const key = joinKey(row.partitionKey, row.rowKey);
        const known = this.slots.get(table)?.get(key) ?? this.fromCache(table, row.partitionKey, row.rowKey);
        // A row not known here is written as new; if it exists, the write resolves it (see writeFenced).
        this.assertOurs(table, known?.row ?? null);
        this.set(table, row.partitionKey, row.rowKey, { base: known?.base ?? null, dirty: true, put: true, row: { ...row, ...this.stamp() } });
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

  /**
   * Writes every changed row, a transaction per partition chunk. Every request is
   * settled before this returns or throws: a caller that gives up its lease after a
   * failure has no write of its own still on the way.
   */
  async flush(): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [table, slots] of this.slots) {
      const store = this.tables.get(table)!;
      const byPartition = new Map<string, RowWrite[]>();
      for (const [key, slot] of slots) {
        if (!slot.dirty) continue;
        // Deleting a row that does not exist writes nothing.
        if (slot.row === null && slot.base === null) continue;
        const [partitionKey, rowKey] = splitKey(key);
        const writes = byPartition.get(partitionKey) ?? [];
        writes.push({ partitionKey, rowKey, row: slot.row, seq: Number(slot.row?.[seqColumn] ?? this.seq), base: slot.base, put: slot.put });
        byPartition.set(partitionKey, writes);
      }
      for (const writes of byPartition.values()) {
        for (let i = 0; i < writes.length; i += 100) work.push(this.writeFenced(table, store, writes.slice(i, i + 100)));
      }
    }
    const results = await Promise.allSettled(work);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.slots.clear();
    this.journal = [];
  }

  /**
   * Writes one chunk over the versions its rows were computed from. When rows moved,
   * each is read: a row that now holds this very write's seq is ours (a retried request
   * that had landed) and a put over an older row simply goes again over its new
   * version; any other move means another runner wrote it, and the batch fails.
   */
  private async writeFenced(table: string, store: ViewStore, chunk: RowWrite[]): Promise<void> {
    let pending = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        const etags = await store.writeChunk(pending);
        pending.forEach((write, i) => this.cache?.set(table, write.partitionKey, write.rowKey, { row: write.row, etag: etags[i]!, seq: write.seq }));
        return;
      } catch (error) {
        if (!(error instanceof RowMovedError) || attempt >= resends) throw error instanceof RowMovedError ? new ViewConflictError(table, chunk[0]!.partitionKey, chunk[0]!.rowKey) : error;
      }
      const current = await Promise.all(pending.map((write) => store.get(write.partitionKey, write.rowKey)));
      const next: RowWrite[] = [];
      pending.forEach((write, i) => {
        const now = current[i]!;
        if ((now.etag ?? null) === write.base) next.push(write);
        else if (now.seq === write.seq || (write.put && (now.seq ?? -1) > write.seq)) this.cache?.set(table, write.partitionKey, write.rowKey, now);
        else if (write.put) next.push({ ...write, base: now.etag ?? null });
        else throw new ViewConflictError(table, write.partitionKey, write.rowKey);
      });
      pending = next;
    }
  }

  private fromCache(table: string, pk: string, rk: string): Slot | undefined {
    const stored = this.cache?.get(table, pk, rk);
    return stored && toSlot(stored);
  }

  private async slot(table: string, store: ViewStore, pk: string, rk: string): Promise<Slot> {
    const key = joinKey(pk, rk);
    const known = this.slots.get(table)?.get(key);
    if (known) return known;
    let stored = this.cache?.get(table, pk, rk);
    if (stored === undefined) {
      stored = await store.get(pk, rk);
      this.cache?.set(table, pk, rk, stored);
    }
    const slot = toSlot(stored);
    this.slotsOf(table).set(key, slot);
    return slot;
  }

  private set(table: string, pk: string, rk: string, slot: Slot): void {
    const slots = this.slotsOf(table);
    const key = joinKey(pk, rk);
    this.journal.push({ table, key, previous: slots.get(key) });
    slots.set(key, slot);
  }

  private slotsOf(table: string): Map<string, Slot> {
    let slots = this.slots.get(table);
    if (!slots) this.slots.set(table, (slots = new Map()));
    return slots;
  }
}

/**
 * A projection declared partitioned wrote one row from two feed partitions: its runners
 * would overwrite each other's work (each orders only its own partition's events).
 */
export class RowOfAnotherPartitionError extends Error {
  constructor(table: string, row: ViewRow, owner: number, partition: number) {
    super(
      `view ${table} row ${row.partitionKey}/${row.rowKey} was written by events of feed partition ${owner} and now by one of partition ${partition}: ` +
        'a partitioned projection must write each row from streams of one partition only (key rows by stream, or drop `partitioned: true`)',
    );
    this.name = 'RowOfAnotherPartitionError';
  }
}

function toSlot(stored: StoredRow): Slot {
  return { row: stored.row, base: stored.etag ?? null, dirty: false, put: false, ...(stored.row === null && stored.seq !== undefined ? { deletedAt: stored.seq } : {}) };
}

const joinKey = (pk: string, rk: string) => `${pk}\u0000${rk}`;
const splitKey = (key: string) => key.split('\u0000') as [string, string];
