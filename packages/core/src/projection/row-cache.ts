import type { ViewRow } from './define-projection.ts';

/** Rows a runner remembers between batches. */
export const rowCacheSize = 100_000;

/**
 * View rows a projection runner has read or written, kept between batches. The runner
 * is the only writer of its tables (it holds their lease), so what it remembers stays
 * true until it loses the lease, when the cache is dropped.
 *
 * When the tables were empty at the start and nothing was ever evicted, the cache knows
 * every row: a miss means "absent" and costs no request (rebuilds, first runs).
 */
export class RowCache {
  private readonly rows = new Map<string, ViewRow | null>();
  private readonly capacity: number;
  private complete: boolean;

  constructor(capacity: number, startsEmpty: boolean) {
    this.capacity = capacity;
    this.complete = startsEmpty;
  }

  /** A cached row, `null` when known absent, `undefined` when unknown. */
  get(table: string, pk: string, rk: string): ViewRow | null | undefined {
    const key = keyOf(table, pk, rk);
    const row = this.rows.get(key);
    if (row === undefined) return this.complete ? null : undefined;
    this.rows.delete(key);
    this.rows.set(key, row);
    return row === null ? null : { ...row };
  }

  set(table: string, pk: string, rk: string, row: ViewRow | null): void {
    const key = keyOf(table, pk, rk);
    this.rows.delete(key);
    this.rows.set(key, row === null ? null : { ...row });
    while (this.rows.size > this.capacity) {
      this.rows.delete(this.rows.keys().next().value!);
      this.complete = false;
    }
  }
}

const keyOf = (table: string, pk: string, rk: string) => `${table}\u0000${pk}\u0000${rk}`;
