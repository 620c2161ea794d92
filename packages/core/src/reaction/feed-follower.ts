import type { Logger } from 'pino';
import type { FeedEntry } from '../events/envelope.ts';
import { consumerAttributes } from '../metrics/index.ts';
import type { FeedReader } from '../relay/feed.ts';
import { ToldHead } from '../relay/told-head.ts';
import { linkedSpan, SpanKind } from '../tracing/telemetry.ts';
import type { BlobLease } from '../worker/blob-lease.ts';
import type { LeasedWork } from '../worker/leased-loop.ts';

export interface FollowerParts {
  /** For messages: `reaction freezeonalert`, `process transfer`. */
  name: string;
  /** The event types it acts on (others only move its position). */
  types: string[];
  /** The source context's feed, read in its published order. */
  feed: FeedReader;
  upcast: (entry: FeedEntry) => FeedEntry;
  /** Acts on one event; true when it did something (its position is then saved at once). Must be safe to repeat. */
  act: (entry: FeedEntry) => Promise<boolean>;
  lease: BlobLease;
  log: Logger;
  /** As a projection runner's: skip a step's read when told of nothing new and it read lately (default 0: always read). */
  askFreshMs?: number;
}

const batchSize = 200;

/**
 * Follows another context's published feed under a lease (a reaction, or a process
 * listening for events): reads from its saved position and acts on each event of its
 * types. The position is saved after every event it acted on (and at the end of each
 * batch), so a successor repeats at most the event in hand, and every act is keyed by
 * the event, so a repeat changes nothing. Storage trouble fails the step; it is tried
 * again from the saved position.
 */
export class FeedFollower implements LeasedWork {
  readonly parts: FollowerParts;
  checkpoint = 0;
  acted = 0;
  private readonly types: Set<string>;
  private readonly toldHead: ToldHead;

  constructor(parts: FollowerParts) {
    this.parts = parts;
    this.types = new Set(parts.types);
    this.toldHead = new ToldHead(parts.askFreshMs ?? 0);
  }

  async start(): Promise<void> {
    this.checkpoint = (await this.parts.lease.read<{ seq: number }>())?.seq ?? 0;
    this.toldHead.forget();
  }

  /** A notice: the feed holds entries up to `head`. */
  told(head: number): void {
    this.toldHead.told(head);
  }

  stop(): void {}

  async step(): Promise<boolean> {
    const entries = await this.toldHead.read(this.checkpoint, batchSize, () => this.parts.feed.read(this.checkpoint, batchSize));
    if (entries.length === 0) return false;
    const before = this.checkpoint;
    for (const stored of entries) {
      // Each act is a span of its own, linked to the event's trace (what it appends records this span).
      const acted = this.types.has(stored.type) && (await linkedSpan(this.parts.name, SpanKind.CONSUMER, [stored.traceparent], this.attributes(stored), () => this.parts.act(this.parts.upcast(stored))));
      this.checkpoint = stored.seq;
      if (acted) {
        this.acted++;
        await this.save();
      }
    }
    if (this.checkpoint !== before) await this.save();
    return entries.length === batchSize;
  }

  private attributes(entry: FeedEntry) {
    return { ...consumerAttributes(this.parts.feed.context, this.parts.name), 'messaging.operation.name': 'process', 'messaging.message.id': entry.id, 'eventloom.seq': entry.seq };
  }

  private async save(): Promise<void> {
    if (!this.parts.lease.held) throw new Error(`${this.parts.name}: lease expired before saving its position`);
    await this.parts.lease.write({ seq: this.checkpoint });
  }
}
