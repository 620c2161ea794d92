import type { StoredRow } from './view-store.ts';

/** Rows a runner remembers between batches. */
export const rowCacheSize = 100_000;

/**
 * View rows a projection runner has read or written, with their versions (ETags), kept
 * between batches. The runner holds the projection's lease, and its writes only land
 * over the version it read: what it remembers is what the table holds, or its next
 * write to that row fails and the cache is dropped with the lease.
 *
 * When the tables were empty at the start and nothing was ever evicted, the cache knows
 * every row: a miss means "absent" and costs no request (rebuilds, first runs).
 */
export class RowCache {
  private readonly rows = new Map<string, StoredRow>();
  private readonly capacity: number;
  private complete: boolean;

  constructor(capacity: number, startsEmpty: boolean) {
    this.capacity = capacity;
    this.complete = startsEmpty;
  }

  get size(): number {
    return this.rows.size;
  }

  /** A cached row (`row: null` when known absent or deleted), `undefined` when unknown. */
  get(table: string, pk: string, rk: string): StoredRow | undefined {
    const key = keyOf(table, pk, rk);
    const stored = this.rows.get(key);
    if (stored === undefined) return this.complete ? { row: null } : undefined;
    this.rows.delete(key);
    this.rows.set(key, stored);
    return stored.row === null ? stored : { ...stored, row: { ...stored.row } };
  }

  set(table: string, pk: string, rk: string, stored: StoredRow): void {
    const key = keyOf(table, pk, rk);
    this.rows.delete(key);
    this.rows.set(key, stored.row === null ? stored : { ...stored, row: { ...stored.row } });
    while (this.rows.size > this.capacity) {
      this.rows.delete(this.rows.keys().next().value!);
      this.complete = false;
    }
  }
}

const keyOf = (table: string, pk: string, rk: string) => `${table}\u0000${pk}\u0000${rk}`;
