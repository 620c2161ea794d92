import type { Logger } from 'pino';
import type { CategoryTable, RowVersion } from './category-table.ts';

export interface RowChange {
  id: string;
  kind: 'added' | 'changed' | 'removed';
  /** The projection wrote it (its seq moved); false for a hand edit, which leaves the seq alone. */
  byProjection: boolean;
}

export interface Snapshot {
  /** When the poll that produced it started (ms since epoch). */
  at: number;
  /** The physical table it read (a rebuild swaps in another). */
  table: string;
  versions: ReadonlyMap<string, RowVersion>;
}

/**
 * Azure Table has no change feed, so the watcher compares: every `intervalMs` it
 * reads each category row's ETag (a key-only query) and reports what was added,
 * changed or removed since the last poll — however the change was made.
 */
export class ChangeWatcher {
  private readonly table: CategoryTable;
  private readonly intervalMs: number;
  private readonly onChange: (changes: RowChange[], previousPollAt: number) => Promise<void>;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** The last poll's view of the table; undefined until the first poll. */
  snapshot: Snapshot | undefined;
  polls = 0;
  lastError: string | undefined;

  constructor(options: { table: CategoryTable; intervalMs: number; log: Logger; onChange: (changes: RowChange[], previousPollAt: number) => Promise<void> }) {
    this.table = options.table;
    this.intervalMs = options.intervalMs;
    this.onChange = options.onChange;
    this.log = options.log;
  }

  get interval(): number {
    return this.intervalMs;
  }

  /** Takes the first snapshot, then polls on a timer that does not keep the process alive. */
  async start(): Promise<void> {
    await this.poll();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One comparison now (tests call it to skip the wait). */
  poll(): Promise<void> {
    this.running ??= this.compare().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), this.intervalMs);
    this.timer.unref();
  }

  private async compare(): Promise<void> {
    const at = Date.now();
    let table: string;
    let versions: Map<string, RowVersion>;
    try {
      ({ table, versions } = await this.table.versions());
      this.lastError = undefined;
    } catch (error) {
      // Storage away: keep the last snapshot and try again next tick.
      this.lastError = (error as Error).message;
      this.log.warn({ err: this.lastError }, 'category watcher could not read the table');
      return;
    }
    this.polls++;
    const previous = this.snapshot;
    this.snapshot = { at, table, versions };
    if (!previous) return;
    const changes: RowChange[] = [];
    if (previous.table !== table) {
      // A rebuild swapped in a new generation: every row is new, made by the projection.
      const ids = new Set([...previous.versions.keys(), ...versions.keys()]);
      for (const id of ids) changes.push({ id, kind: versions.has(id) ? 'changed' : 'removed', byProjection: true });
      await this.onChange(changes, previous.at);
      return;
    }
    for (const [id, version] of versions) {
      const before = previous.versions.get(id);
      if (!before) changes.push({ id, kind: 'added', byProjection: version.seq !== undefined });
      else if (before.etag !== version.etag) changes.push({ id, kind: 'changed', byProjection: before.seq !== version.seq });
    }
    for (const [id] of previous.versions) {
      // A deletion leaves nothing to tell who made it.
      if (!versions.has(id)) changes.push({ id, kind: 'removed', byProjection: false });
    }
    if (changes.length > 0) await this.onChange(changes, previous.at);
  }
}
