import type { Logger } from 'pino';
import { channels, type Bus } from '../bus/bus.ts';
import { isConflict } from '../store/storage.ts';
import type { BlobLease } from '../worker/blob-lease.ts';
import type { LeasedWork } from '../worker/leased-loop.ts';
import type { FeedColumns } from './feed.ts';
import { maxStepEntries, type MergedFeed, type MergeStep } from './merged-feed.ts';
import type { FeedNotice } from './relay.ts';

/** The merger's saved position: where the journal's chain was last known to end. */
interface MergerState {
  end: number;
  to: number[];
}

export interface MergerOptions {
  /** How often the position is saved (bounds the chain walked on takeover). */
  checkpointMs?: number;
  /** Told of each step before the bus is (local projections and waiters). */
  onPlaced?: (notice: FeedNotice) => void;
}

/**
 * Gives a partitioned feed its one total order. Each step takes what every partition's
 * relay has placed since the last step (durable rows only) and records it as one
 * journal row; consumers read the feed in that order (MergedFeed). The order is
 * decided once and stored, so a rebuild, a second process or a successor reads exactly
 * what the live consumers read, and an idle partition never holds the others back.
 *
 * Only the lease holder runs. A step is one insert keyed by where it starts: a merger
 * that lost its lease and writes a step a successor wrote already meets 409 and starts
 * again from the journal. Per-stream order holds because a stream lives in one
 * partition and each partition's entries enter the order in their own seq order.
 */
export class Merger implements LeasedWork {
  private readonly feed: MergedFeed;
  private readonly lease: BlobLease;
  private readonly bus: Bus;
  private readonly log: Logger;
  private readonly checkpointMs: number;
  private readonly onPlaced: ((notice: FeedNotice) => void) | undefined;
  private end = 0;
  private to: number[] = [];
  private savedEnd = 0;
  private lastCheckpoint = 0;
  private started = false;

  constructor(parts: { feed: MergedFeed; lease: BlobLease; bus: Bus; log: Logger }, options: MergerOptions = {}) {
    this.feed = parts.feed;
    this.lease = parts.lease;
    this.bus = parts.bus;
    this.log = parts.log;
    this.checkpointMs = options.checkpointMs ?? 1000;
    this.onPlaced = options.onPlaced;
  }

  get head(): number {
    return this.end;
  }

  /** How far each partition has entered the merged order. */
  get positions(): readonly number[] {
    return this.to;
  }

  async start(): Promise<void> {
    const saved = await this.lease.read<MergerState>();
    let end = saved?.end ?? 0;
    let to = saved?.to ?? [];
    // Steps written after the last save: follow the chain to its end.
    for (;;) {
      const page = await this.feed.journal.from(end, 256);
      const chained = page.filter((step, i) => step.start === (i === 0 ? end : page[i - 1]!.end));
      for (const step of chained) {
        this.feed.remember(step);
        end = step.end;
        to = step.to;
      }
      if (chained.length < 256) break;
    }
    this.end = end;
    this.to = this.feed.partitions.map((_, p) => to[p] ?? 0);
    this.savedEnd = saved?.end ?? 0;
    this.started = true;
    this.log.info({ context: this.feed.context, head: this.end, partitions: this.to }, 'merger recovered');
  }

  async drain(): Promise<void> {
    if (this.started) await this.checkpoint(true);
  }

  stop(): void {
    this.started = false;
  }

  async step(): Promise<boolean> {
    if (!this.started) return false;
    const partitions = this.feed.partitions;
    const cap = Math.floor(maxStepEntries / partitions.length);
    const reads = await Promise.all(partitions.map((partition, p) => partition.rowsAfter(this.to[p]!, cap)));
    const count = reads.reduce((sum, rows) => sum + rows.length, 0);
    if (count === 0) {
      await this.checkpoint(false);
      return false;
    }
    const step: MergeStep = { start: this.end, end: this.end + count, from: [...this.to], to: this.to.map((seq, p) => seq + reads[p]!.length) };
    if (!this.lease.held) throw new Error('merger lease expired before writing its step');
    try {
      await this.feed.journal.insert(step);
    } catch (error) {
      if (isConflict(error)) throw new Error(`merger of ${this.feed.context}: a step at ${step.start} was written by another merger; recovering`);
      throw error;
    }
    this.feed.remember(step);
    this.end = step.end;
    this.to = step.to;
    const entries: FeedNotice['entries'] = [];
    let seq = step.start;
    for (const rows of reads) for (const row of rows) entries.push(noticeEntry(row, ++seq));
    const notice: FeedNotice = { context: this.feed.context, head: this.end, entries };
    this.onPlaced?.(notice);
    // Never awaited: a hung Redis must not hold the merger (the bus only signals).
    void this.bus.publish(channels.feed(this.feed.context), notice);
    await this.checkpoint(false);
    return reads.some((rows) => rows.length === cap);
  }

  private async checkpoint(force: boolean): Promise<void> {
    if (this.savedEnd === this.end && !force) return;
    if (!force && performance.now() - this.lastCheckpoint < this.checkpointMs) return;
    await this.lease.write({ end: this.end, to: this.to } satisfies MergerState);
    this.savedEnd = this.end;
    this.lastCheckpoint = performance.now();
  }
}

function noticeEntry(row: FeedColumns, seq: number): FeedNotice['entries'][number] {
  return { id: row.id, seq, stream: row.s, type: row.type };
}
