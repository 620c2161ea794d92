import { channels, type ContextRuntime, type ViewChange } from '@eventloom/core';
import { moviePartition } from '../catalog/projection.ts';
import type { OrderCatalog } from './validate.ts';

/**
 * Every movie's category in memory, for validating orders at ingestion speed
 * (one table query per catalog change, not one per order). It reloads after the
 * catalog projection reports a change, and at most every few seconds when an
 * order names a movie it does not know (a movie listed by another process).
 */
export class MovieIndex implements OrderCatalog {
  private readonly runtime: ContextRuntime;
  private movies = new Map<number, { categoryId: number }>();
  private loadedAt = 0;
  private stale = true;
  private loading: Promise<void> | undefined;
  private listening: Promise<unknown> | undefined;

  constructor(runtime: ContextRuntime) {
    this.runtime = runtime;
  }

  get size(): number {
    return this.movies.size;
  }

  movie(id: number): { categoryId: number } | undefined {
    return this.movies.get(id);
  }

  /** The index, loaded (again) if the catalog changed since. */
  async current(): Promise<MovieIndex> {
    this.listening ??= this.runtime.bus.subscribe(channels.viewChanged(this.runtime.name), (message) => {
      // Every feed batch moves the projection; only one it applied events from changed the catalog.
      const change = message as ViewChange;
      if (change.projection === 'catalog' && change.eventIds.length > 0) this.stale = true;
    });
    await this.listening;
    if (this.stale) await this.load();
    return this;
  }

  /** Reloads unless it did within `minAgeMs`; true when it did. */
  async refresh(minAgeMs = 2_000): Promise<boolean> {
    if (Date.now() - this.loadedAt < minAgeMs) return false;
    await this.load();
    return true;
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      this.stale = false;
      const movies = new Map<number, { categoryId: number }>();
      let cursor: string | undefined;
      do {
        const page = await this.runtime.views.query('Movies', { partitionKey: moviePartition, limit: 1000, ...(cursor ? { cursor } : {}) });
        for (const row of page.rows) movies.set(Number(row.MovieId), { categoryId: Number(row.CategoryId) });
        cursor = page.cursor;
      } while (cursor);
      this.movies = movies;
      this.loadedAt = Date.now();
    })()
      .catch((error: unknown) => {
        this.stale = true;
        throw error;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}

const indexes = new WeakMap<ContextRuntime, MovieIndex>();

export function movieIndexOf(runtime: ContextRuntime): MovieIndex {
  let index = indexes.get(runtime);
  if (!index) indexes.set(runtime, (index = new MovieIndex(runtime)));
  return index;
}
