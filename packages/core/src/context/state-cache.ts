export interface CachedState {
  state: unknown;
  version: number;
  snapshotVersion: number;
}

/**
 * The latest decided state of recently used streams. Loading a stream then costs one
 * query for events after the cached version (usually none), however long it is.
 */
export class StateCache {
  private readonly entries = new Map<string, CachedState>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get(aggregate: string, stream: string): CachedState | undefined {
    const key = `${aggregate}\u0000${stream}`;
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(aggregate: string, stream: string, entry: CachedState): void {
    const key = `${aggregate}\u0000${stream}`;
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  forget(aggregate: string, stream: string): void {
    this.entries.delete(`${aggregate}\u0000${stream}`);
  }
}
