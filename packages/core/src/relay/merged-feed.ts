import { odata, type TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { FeedEntry } from '../events/envelope.ts';
import { seqKey } from '../store/keys.ts';
import { isNotFound, type Storage } from '../store/storage.ts';
import { BlobLease } from '../worker/blob-lease.ts';
import { Feed as FeedClass, type Feed, type FeedColumns, type FeedReader } from './feed.ts';
import { mergerLeaseName } from './lease-names.ts';

/**
 * One step of a partitioned feed's merged order: the entries each partition placed
 * between `from[p]` and `to[p]`, numbered `start + 1 … end` partition by partition
 * (all of partition 0's, then partition 1's, …). Steps form a chain (each starts where
 * the last ended) keyed by `start`, so a second writer of a step meets 409.
 */
export interface MergeStep {
  start: number;
  end: number;
  from: number[];
  to: number[];
}

/** The most entries one step covers: bounds the search for the step holding a seq. */
export const maxStepEntries = 4096;
/** Steps remembered by a reader: sequential reading finds the next one here. */
const rememberedSteps = 2048;
/** Steps read per range query when following the chain. */
const stepPage = 256;

interface JournalRow {
  start: number;
  end: number;
  from: string;
  to: string;
}

/**
 * The journal of merge steps, in the context's `FeedMerge` table: partitioned by bucket
 * of `start` like the feed, only inserted, never changed. One row per merger step, not
 * per event, so one writer keeps up with any number of partition relays.
 */
export class MergeJournal {
  private readonly table: Promise<TableClient>;
  private readonly bucketSize: number;

  private readonly container: () => Promise<ContainerClient>;

  constructor(storage: Storage, context: string) {
    this.table = storage.table(context, 'FeedMerge');
    this.bucketSize = storage.tuning.feedBucketSize;
    this.container = () => storage.container(context);
  }

  /** Where the merger last saved its position (about once a second), or 0. */
  async savedEnd(): Promise<number> {
    const state = await new BlobLease(await this.container(), mergerLeaseName).read<{ end?: number }>().catch(() => undefined);
    const end = Number(state?.end ?? 0);
    return Number.isSafeInteger(end) && end > 0 ? end : 0;
  }

  async ready(): Promise<void> {
    await this.table;
  }

  private bucket(seq: number): string {
    return String(Math.floor(seq / this.bucketSize)).padStart(8, '0');
  }

  /** Inserts a step; 409 when one already starts there (another merger wrote it). */
  async insert(step: MergeStep): Promise<void> {
    await (await this.table).createEntity<JournalRow>({
      partitionKey: this.bucket(step.start),
      rowKey: seqKey(step.start),
      start: step.start,
      end: step.end,
      from: JSON.stringify(step.from),
      to: JSON.stringify(step.to),
    });
  }

  /** The step starting at a seq, if there is one. */
  async at(start: number): Promise<MergeStep | undefined> {
    try {
      return decode(await (await this.table).getEntity<JournalRow>(this.bucket(start), seqKey(start)));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Steps starting at or after a seq, in order, at most `limit`. */
  async from(start: number, limit: number): Promise<MergeStep[]> {
    return this.query(odata`PartitionKey ge ${this.bucket(start)} and RowKey ge ${seqKey(start)}`, limit);
  }

  /**
   * The step holding the entry after `seq` (start ≤ seq < end). Its start lies within
   * `maxStepEntries` below, so the search is bounded however long the feed: windows of
   * growing width from `seq` down, the last step in the window being the candidate.
   */
  async containing(seq: number): Promise<MergeStep | undefined> {
    for (const width of [64, maxStepEntries]) {
      const low = Math.max(0, seq - width + 1);
      const steps = await this.query(
        odata`PartitionKey ge ${this.bucket(low)} and PartitionKey le ${this.bucket(seq)} and RowKey ge ${seqKey(low)} and RowKey le ${seqKey(seq)}`,
        width,
      );
      const last = steps[steps.length - 1];
      if (last) return last.end > seq ? last : undefined;
      if (low === 0) return undefined;
    }
    return undefined;
  }

  private async query(filter: string, limit: number): Promise<MergeStep[]> {
    const steps: MergeStep[] = [];
    const pages = (await this.table).listEntities<JournalRow>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const row of page) steps.push(decode(row));
      if (steps.length >= limit) break;
    }
    return steps.slice(0, limit);
  }
}

function decode(row: JournalRow): MergeStep {
  return { start: Number(row.start), end: Number(row.end), from: JSON.parse(row.from) as number[], to: JSON.parse(row.to) as number[] };
}

/**
 * A partitioned feed as consumers see it: one gapless total order of seqs, the merged
 * order the journal records. Every reader, live or rebuilding, in any process, reads
 * the same entry at the same seq, so projections' seq fencing, dead letters, cursors
 * and `Prefer: wait` work as on an unpartitioned feed.
 */
export class MergedFeed implements FeedReader {
  readonly context: string;
  readonly partitions: readonly Feed[];
  readonly journal: MergeJournal;
  private readonly steps = new Map<number, MergeStep>();
  private highest = 0;

  constructor(context: string, partitions: readonly Feed[], journal: MergeJournal) {
    this.context = context;
    this.partitions = partitions;
    this.journal = journal;
  }

  /** A step written (or read) here: sequential readers find it without a request. */
  remember(step: MergeStep): void {
    this.steps.set(step.start, step);
    this.highest = Math.max(this.highest, step.end);
    if (this.steps.size > rememberedSteps) {
      const oldest = this.steps.keys().next().value as number;
      this.steps.delete(oldest);
    }
  }

  /** Steps covering the entries after `seq`, up to about `limit` of them. */
  private async stepsAfter(seq: number, limit: number): Promise<MergeStep[]> {
    const first = await this.stepHolding(seq);
    if (!first) return [];
    const steps = [first];
    let covered = first.end - seq;
    while (covered < limit) {
      const last = steps[steps.length - 1]!;
      let next = this.steps.get(last.end);
      if (!next) {
        const page = await this.journal.from(last.end, stepPage);
        for (const step of page) this.remember(step);
        next = page[0]?.start === last.end ? page[0] : undefined;
      }
      if (!next) break;
      steps.push(next);
      covered += next.end - next.start;
    }
    return steps;
  }

  private async stepHolding(seq: number): Promise<MergeStep | undefined> {
    const known = this.steps.get(seq);
    if (known) return known;
    if (seq >= this.highest) {
      const next = await this.journal.at(seq);
      if (next) this.remember(next);
      // Where a known step ended, a step starts or nothing does: no search needed.
      if (next || (seq === this.highest && seq > 0)) return next;
    }
    const found = await this.journal.containing(seq);
    if (found) this.remember(found);
    return found;
  }

  async rowsAfter(afterSeq: number, limit: number): Promise<FeedColumns[]> {
    if (limit <= 0) return [];
    const steps = await this.stepsAfter(afterSeq, limit);
    if (steps.length === 0) return [];
    // Which seqs of which partition are wanted, as segments in merged order.
    const segments: { partition: number; after: number; count: number; seq: number }[] = [];
    let wanted = limit;
    for (const step of steps) {
      let seq = step.start;
      for (let p = 0; p < step.to.length && wanted > 0; p++) {
        const size = step.to[p]! - (step.from[p] ?? 0);
        const skip = Math.max(0, Math.min(size, afterSeq - seq));
        const count = Math.min(size - skip, wanted);
        if (count > 0) {
          segments.push({ partition: p, after: (step.from[p] ?? 0) + skip, count, seq: seq + skip });
          wanted -= count;
        }
        seq += size;
      }
      if (wanted === 0) break;
    }
    // One read per partition over its whole span (the segments of a partition are contiguous).
    const spans = new Map<number, { after: number; count: number }>();
    for (const { partition, after, count } of segments) {
      const span = spans.get(partition);
      if (!span) spans.set(partition, { after, count });
      else span.count = after + count - span.after;
    }
    const rows = new Map<number, FeedColumns[]>();
    await Promise.all(
      [...spans].map(async ([partition, { after, count }]) => {
        const feed = this.partitions[partition]!;
        const read = await feed.rowsAfter(after, count);
        // A partition may answer short from the entries its process placed (a relay that
        // lost the partition to another process): read on from the table.
        for (let more = read; more.length > 0 && read.length < count; ) {
          more = await feed.rowsAfter(after + read.length, count - read.length);
          read.push(...more);
        }
        if (read.length !== count || Number(read[0]?.seq) !== after + 1) {
          throw new Error(`feed ${this.context} partition ${partition}: the merge journal names seqs ${after + 1}-${after + count}, the partition has ${read.length} of them`);
        }
        rows.set(partition, read);
      }),
    );
    const merged: FeedColumns[] = [];
    for (const { partition, after, count, seq } of segments) {
      const read = rows.get(partition)!;
      const offset = after - spans.get(partition)!.after;
      for (let i = 0; i < count; i++) merged.push({ ...read[offset + i]!, seq: seq + 1 + i });
    }
    return merged;
  }

  async read(afterSeq: number, limit: number): Promise<FeedEntry[]> {
    const rows = await this.rowsAfter(afterSeq, limit);
    return Promise.all(rows.map((row) => this.decode(row)));
  }

  decode(row: FeedColumns): Promise<FeedEntry> {
    return this.partitions[0]!.decode(row);
  }

  /** The end of the journal's chain, found from the step holding the lower bound. */
  async head(fromSeq = 0): Promise<number> {
    let position = Math.max(fromSeq, this.highest);
    if (position === 0) {
      // A reader that knows nothing starts where the merger saved its position (when the
      // journal holds a step ending there), so it does not walk the journal from its start.
      const saved = await this.journal.savedEnd();
      const last = saved > 0 ? await this.journal.containing(saved - 1) : undefined;
      if (last?.end === saved) {
        this.remember(last);
        position = saved;
      }
    }
    const holding = await this.stepHolding(position);
    if (!holding) return position;
    position = holding.end;
    for (;;) {
      const page = await this.journal.from(position, stepPage);
      let advanced = false;
      for (const step of page) {
        this.remember(step);
        if (step.start === position) {
          position = step.end;
          advanced = true;
        }
      }
      if (!advanced || page.length < stepPage) break;
    }
    this.highest = Math.max(this.highest, position);
    return position;
  }
}

/** A context's feed as consumers read it, and its partitions: one Feed, or a MergedFeed over several. */
export function openFeed(storage: Storage, context: string, partitions = 1): { feed: FeedReader; partitions: Feed[]; merged: MergedFeed | undefined } {
  const feeds = Array.from({ length: partitions }, (_, p) => new FeedClass(storage, context, p));
  const merged = partitions > 1 ? new MergedFeed(context, feeds, new MergeJournal(storage, context)) : undefined;
  return { feed: merged ?? feeds[0]!, partitions: feeds, merged };
}
