import { channels, type Bus, type ViewChange } from '../bus/bus.ts';
import type { FeedNotice } from '../relay/relay.ts';

interface Waiter {
  eventIds: string[];
  resolve: (applied: boolean) => void;
}

const rememberedEvents = 200_000;

/** A runner whose progress a command waits for: over the merged feed, or one partition's. */
export interface Followed {
  /** Its key (see runner-keys.ts). */
  key: string;
  /** Set for a partitioned projection's runner: its positions are this partition's seqs. */
  partition?: number;
  /** The event types it applies; a command of none of them leaves its view as it was, so it is not waited for. */
  handles?: ReadonlySet<string>;
}

/** Forgets the oldest half of a map grown past its bound. */
function trim<K, V>(map: Map<K, V>): void {
  if (map.size <= rememberedEvents) return;
  const excess = map.size - rememberedEvents / 2;
  let i = 0;
  for (const key of map.keys()) {
    if (i++ >= excess) break;
    map.delete(key);
  }
}

/**
 * Follows a context's relay and projections through bus notices, so a command can
 * wait until its events are visible in every view (read-your-writes), whichever
 * process ran the relay and the projections.
 */
export class Progress {
  readonly context: string;
  private readonly projections: Followed[];
  /** Each placed event's feed seq, and its type (to skip projections that do not apply it). */
  private readonly placed = new Map<string, { seq: number; type?: string }>();
  /** Where a partition's relay placed an event (for partitioned projections). */
  private readonly placedAt = new Map<string, { partition: number; seq: number }>();
  private readonly projectionSeq = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private readonly loadCheckpoint: (projection: string) => Promise<number>;
  private unsubscribe: (() => Promise<void>)[] = [];
  head = 0;

  constructor(context: string, projections: Followed[], loadCheckpoint: (projection: string) => Promise<number>) {
    this.context = context;
    this.projections = projections;
    this.loadCheckpoint = loadCheckpoint;
  }

  async listen(bus: Bus): Promise<void> {
    this.unsubscribe.push(
      await bus.subscribe(channels.feed(this.context), (message) => this.onFeed(message as FeedNotice)),
      await bus.subscribe(channels.viewChanged(this.context), (message) => this.onView(message as ViewChange)),
    );
    // Where each partition's relay placed an event, wherever it ran (a gateway runs none).
    if (this.projections.some((p) => p.partition !== undefined)) {
      this.unsubscribe.push(await bus.subscribe(channels.placed(this.context), (message) => this.onPlaced(message as FeedNotice)));
    }
    await Promise.all(this.projections.map(async ({ key }) => this.raise(key, await this.loadCheckpoint(key))));
  }

  async close(): Promise<void> {
    await Promise.all(this.unsubscribe.map((stop) => stop()));
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters.clear();
  }

  /** The feed seq of an event, once the relay has placed it. */
  seq(eventId: string): number | undefined {
    return this.placed.get(eventId)?.seq;
  }

  /**
   * True when every event is in the feed and every projection has passed it: a runner
   * over the merged feed its merged seq, a partition's runner (of its partition's
   * events) its partition seq.
   */
  applied(eventIds: string[]): boolean {
    let target = 0;
    for (const id of eventIds) {
      const seq = this.placed.get(id)?.seq;
      if (seq === undefined) return false;
      target = Math.max(target, seq);
    }
    for (const { key, partition, handles } of this.projections) {
      if (handles && !this.mayApply(handles, eventIds)) continue;
      const at = this.projectionSeq.get(key) ?? 0;
      if (partition === undefined) {
        if (at < target) return false;
        continue;
      }
      for (const id of eventIds) {
        const placed = this.placedAt.get(id);
        // In the merged feed, so placed in its partition; the notice saying where may be gone.
        if (!placed) return false;
        if (placed.partition === partition && at < placed.seq) return false;
      }
    }
    return true;
  }

  /** False only when every event's type is known and none is one the projection applies. */
  private mayApply(handles: ReadonlySet<string>, eventIds: string[]): boolean {
    return eventIds.some((id) => {
      const type = this.placed.get(id)?.type;
      return type === undefined || handles.has(type);
    });
  }

  wait(eventIds: string[], timeoutMs: number): Promise<boolean> {
    if (this.applied(eventIds)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        eventIds,
        resolve: (applied) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(applied);
        },
      };
      const timer = setTimeout(() => waiter.resolve(this.applied(eventIds)), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** An entry placed in the feed (from the bus, or directly from a relay in this process). */
  onFeed(notice: FeedNotice): void {
    for (const entry of notice.entries) this.placed.set(entry.id, entry.type ? { seq: entry.seq, type: entry.type } : { seq: entry.seq });
    this.head = Math.max(this.head, notice.head);
    trim(this.placed);
    this.settle();
  }

  /** Entries a partition's relay placed (partitioned feeds): where partitioned projections will find them. */
  onPlaced(notice: FeedNotice): void {
    if (!this.projections.some((p) => p.partition !== undefined)) return;
    const partition = notice.partition ?? 0;
    for (const entry of notice.entries) this.placedAt.set(entry.id, { partition, seq: entry.seq });
    trim(this.placedAt);
    this.settle();
  }

  /** A projection moved (from the bus, or directly from a runner in this process). */
  onView(change: ViewChange): void {
    this.raise(change.runner ?? change.projection, change.seq);
    this.settle();
  }

  private raise(projection: string, seq: number): void {
    this.projectionSeq.set(projection, Math.max(this.projectionSeq.get(projection) ?? 0, seq));
  }

  projectionCheckpoint(name: string): number {
    return this.projectionSeq.get(name) ?? 0;
  }

  private settle(): void {
    for (const waiter of this.waiters) if (this.applied(waiter.eventIds)) waiter.resolve(true);
  }
}
