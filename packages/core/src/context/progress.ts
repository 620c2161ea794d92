import { channels, type Bus, type ViewChange } from '../bus/bus.ts';
import type { FeedNotice } from '../relay/relay.ts';

interface Waiter {
  eventIds: string[];
  resolve: (applied: boolean) => void;
}

const rememberedEvents = 200_000;

/**
 * Follows a context's relay and projections through bus notices, so a command can
 * wait until its events are visible in every view (read-your-writes), whichever
 * process ran the relay and the projections.
 */
export class Progress {
  readonly context: string;
  private readonly projections: string[];
  private readonly seqOf = new Map<string, number>();
  private readonly projectionSeq = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private readonly loadCheckpoint: (projection: string) => Promise<number>;
  private unsubscribe: (() => Promise<void>)[] = [];
  head = 0;

  constructor(context: string, projections: string[], loadCheckpoint: (projection: string) => Promise<number>) {
    this.context = context;
    this.projections = projections;
    this.loadCheckpoint = loadCheckpoint;
  }

  async listen(bus: Bus): Promise<void> {
    this.unsubscribe.push(
      await bus.subscribe(channels.feed(this.context), (message) => this.onFeed(message as FeedNotice)),
      await bus.subscribe(channels.viewChanged(this.context), (message) => this.onView(message as ViewChange)),
    );
    await Promise.all(this.projections.map(async (name) => this.raise(name, await this.loadCheckpoint(name))));
  }

  async close(): Promise<void> {
    await Promise.all(this.unsubscribe.map((stop) => stop()));
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters.clear();
  }

  /** The feed seq of an event, once the relay has placed it. */
  seq(eventId: string): number | undefined {
    return this.seqOf.get(eventId);
  }

  /** True when every event is in the feed and every projection has passed it. */
  applied(eventIds: string[]): boolean {
    let target = 0;
    for (const id of eventIds) {
      const seq = this.seqOf.get(id);
      if (seq === undefined) return false;
      target = Math.max(target, seq);
    }
    return this.projections.every((name) => (this.projectionSeq.get(name) ?? 0) >= target);
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
    for (const entry of notice.entries) this.seqOf.set(entry.id, entry.seq);
    this.head = Math.max(this.head, notice.head);
    if (this.seqOf.size > rememberedEvents) {
      const excess = this.seqOf.size - rememberedEvents / 2;
      let i = 0;
      for (const key of this.seqOf.keys()) {
        if (i++ >= excess) break;
        this.seqOf.delete(key);
      }
    }
    this.settle();
  }

  /** A projection moved (from the bus, or directly from a runner in this process). */
  onView(change: ViewChange): void {
    this.raise(change.projection, change.seq);
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
