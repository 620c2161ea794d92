import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { FeedEntry } from '../events/envelope.ts';
import { fromColumns, rowWeight, type EventColumns } from '../store/codec.ts';
import { lastOfPrefix } from '../store/gapless.ts';
import { seqKey } from '../store/keys.ts';
import { isConflict, statusOf, type Storage } from '../store/storage.ts';
import { BlobLease } from '../worker/blob-lease.ts';
import { relayLeaseName } from './lease-names.ts';

export interface FeedColumns extends EventColumns {
  seq: number;
  /** When the relay placed it, for lag figures. */
  rat: string;
}

/**
 * What consumers read a context's feed through: every event once, in one gapless total
 * order of seqs. An unpartitioned feed is one `Feed`; a partitioned one is a
 * `MergedFeed` over its partitions (see merged-feed.ts).
 */
export interface FeedReader {
  readonly context: string;
  /** Raw rows after a seq, in order, at most `limit` (their `seq` is the reader's). */
  rowsAfter(afterSeq: number, limit: number): Promise<FeedColumns[]>;
  read(afterSeq: number, limit: number): Promise<FeedEntry[]>;
  decode(row: FeedColumns): Promise<FeedEntry>;
  /** The highest seq, from a known lower bound. */
  head(fromSeq?: number): Promise<number>;
  /** The rows after a seq as one listing, page by page (a reader going through much of the feed). */
  scan?(afterSeq: number): AsyncIterableIterator<FeedColumns[]>;
}

/** Largest request body for an entity-group transaction is 4 MiB; keep a margin. */
const maxBatchBytes = 3_500_000;
/** Entries this process placed lately, kept for local readers. */
const recentLimit = 4096;

/**
 * A context's feed, or one partition of it: every event once, in a gapless total order. Rows are partitioned
 * by seq bucket and keyed by zero-padded seq, so reading after a checkpoint is a range
 * query and a batch of consecutive entries is one entity-group transaction. Rows are
 * only inserted, never upserted: a relay that lost its lease gets 409 and stops (unless
 * the rows it met are its own, from an insert whose answer was lost).
 */
export class Feed implements FeedReader {
  readonly context: string;
  /** Which partition of the context's feed this is (0 for an unpartitioned feed). */
  readonly partition: number;
  private readonly table: Promise<TableClient>;
  private readonly container: () => Promise<ContainerClient>;
  /** Seqs per partition of the feed table (the store's setting: every process agrees). */
  private readonly bucketSize: number;
  /**
   * The last entries this process inserted, consecutive. Feed rows never change once
   * written, so local projections read them from here instead of asking the table
   * again; anything before or after (another process's relay) comes from the table.
   */
  private recent: FeedColumns[] = [];
  /**
   * The highest seq this process has seen in the feed. Rows are never removed, so a
   * later head is at least this: finding the head reads what came since, not the history.
   */
  private highest = 0;

  constructor(storage: Storage, context: string, partition = 0) {
    this.context = context;
    this.partition = partition;
    // Partition 0 keeps the unpartitioned feed's table: a store grows partitions without moving it.
    this.table = storage.table(context, partition === 0 ? 'Feed' : `FeedP${partition}`);
    this.container = () => storage.container(context);
    this.bucketSize = storage.tuning.feedBucketSize;
  }

  private bucket(seq: number): string {
    return String(Math.floor(seq / this.bucketSize)).padStart(8, '0');
  }

  async ready(): Promise<void> {
    await this.table;
  }

  /**
   * Inserts consecutive entries, one transaction per bucket and ≤100 rows, in order;
   * `onFlushed` hears of each transaction that landed (readers may go ahead with it).
   */
  async append(rows: FeedColumns[], onFlushed?: () => void): Promise<void> {
    const table = await this.table;
    let batch: TransactionAction[] = [];
    let placed: FeedColumns[] = [];
    let bucket = '';
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      try {
        if (batch.length === 1) await table.createEntity((batch[0] as ['create', Record<string, unknown> & { partitionKey: string; rowKey: string }])[1]);
        else await table.submitTransaction(batch);
      } catch (error) {
        if (!isConflict(error)) throw error;
        await this.ownConflict(placed, error);
      }
      this.remember(placed);
      onFlushed?.();
      batch = [];
      placed = [];
      bytes = 0;
    };
    for (const row of rows) {
      const rowBucket = this.bucket(row.seq);
      const weight = rowWeight(row);
      if (batch.length > 0 && (rowBucket !== bucket || batch.length === 100 || bytes + weight > maxBatchBytes)) await flush();
      bucket = rowBucket;
      bytes += weight;
      batch.push(['create', { partitionKey: rowBucket, rowKey: seqKey(row.seq), ...row }]);
      placed.push(row);
    }
    await flush();
  }

  /**
   * An insert met rows already at its seqs. When they are these very entries, the insert
   * committed and only its answer was lost (the SDK's retry met it): placed. Otherwise
   * another relay placed those seqs: this one lost its lease, and says so.
   */
  private async ownConflict(rows: FeedColumns[], error: unknown): Promise<void> {
    const table = await this.table;
    const first = rows[0]!.seq;
    const last = rows[rows.length - 1]!.seq;
    const found = new Map<number, string>();
    const stored = table.listEntities<{ seq: number; id: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${this.bucket(first)} and RowKey ge ${seqKey(first)} and RowKey le ${seqKey(last)}`, select: ['seq', 'id'] },
    });
    for await (const row of stored) found.set(Number(row.seq), row.id);
    if (rows.every((row) => found.get(row.seq) === row.id)) return;
    const where = this.partition === 0 ? `feed ${this.context}` : `feed ${this.context} partition ${this.partition}`;
    throw new Error(`${where} already holds other entries at seqs ${first}..${last}: another relay placed them`, { cause: error });
  }

  private remember(rows: FeedColumns[]): void {
    this.highest = Math.max(this.highest, Number(rows[rows.length - 1]!.seq));
    const last = this.recent[this.recent.length - 1];
    if (last && rows[0]!.seq !== last.seq + 1) this.recent = [];
    for (const row of rows) this.recent.push(row);
    if (this.recent.length > recentLimit) this.recent.splice(0, this.recent.length - recentLimit);
  }

  /** Raw rows after a seq, in order, at most `limit`. */
  async rowsAfter(afterSeq: number, limit: number): Promise<FeedColumns[]> {
    const first = this.recent[0]?.seq;
    if (first !== undefined && afterSeq + 1 >= first && afterSeq + 1 < first + this.recent.length) {
      return this.recent.slice(afterSeq + 1 - first, afterSeq + 1 - first + limit);
    }
    const table = await this.table;
    const rows: FeedColumns[] = [];
    const pages = table
      .listEntities<FeedColumns>({
        queryOptions: { filter: odata`PartitionKey ge ${this.bucket(afterSeq + 1)} and RowKey gt ${seqKey(afterSeq)}` },
      })
      .byPage({ maxPageSize: Math.min(limit, 1000) });
    for await (const page of pages) {
      for (const row of page) {
        rows.push(row);
        if (rows.length >= limit) return rows;
      }
    }
    return rows;
  }

  /**
   * The rows after a seq as one listing, page by page: a reader going through much of the
   * feed in order (a rebuild) asks the store once and follows its continuation, and from
   * the start it lists the table without a filter, a plain scan (the table holds only
   * feed rows; a filter costs the store a test of every row).
   */
  async *scan(afterSeq: number): AsyncIterableIterator<FeedColumns[]> {
    const table = await this.table;
    const options = afterSeq === 0 ? {} : { queryOptions: { filter: odata`PartitionKey ge ${this.bucket(afterSeq + 1)} and RowKey gt ${seqKey(afterSeq)}` } };
    for await (const page of table.listEntities<FeedColumns>(options).byPage({ maxPageSize: 1000 })) {
      if (page.length > 0) yield page;
    }
  }

  async read(afterSeq: number, limit: number): Promise<FeedEntry[]> {
    const rows = await this.rowsAfter(afterSeq, limit);
    return Promise.all(rows.map((row) => this.decode(row)));
  }

  async decode(row: FeedColumns): Promise<FeedEntry> {
    return { ...(await fromColumns(row, this.container)), seq: Number(row.seq) };
  }

  /**
   * The highest seq. From the higher of a known lower bound and the highest seen here, one
   * page of keys; when more follow (a reader that knew little of a long feed), a galloping
   * search with point reads: the feed is always a gapless prefix 1..N, so whether seq k
   * exists says which side of the head it is on, and the head of a feed of N rows is found
   * in about 2 log2(N) reads instead of N / 1,000 pages.
   */
  async head(fromSeq = 0): Promise<number> {
    let low = Math.max(fromSeq, this.highest);
    if (low === 0) low = await this.savedHead();
    const page = await this.keysAfter(low, 1000);
    if (page.length > 0) low = page[page.length - 1]!;
    if (page.length === 1000) low = await lastOfPrefix(low, (seq) => this.exists(seq));
    this.highest = Math.max(this.highest, low);
    return low;
  }

  /**
   * Where this partition's relay last saved its position (about once a second): a reader
   * that knows nothing starts there, so what it pays does not grow with the feed's length.
   * A position the feed does not hold (a store restored from an older copy) is ignored.
   */
  private async savedHead(): Promise<number> {
    const state = await new BlobLease(await this.container(), relayLeaseName(this.partition)).read<{ checkpointSeq?: number }>().catch(() => undefined);
    const saved = Number(state?.checkpointSeq ?? 0);
    return Number.isSafeInteger(saved) && saved > 0 && (await this.exists(saved)) ? saved : 0;
  }

  private async exists(seq: number): Promise<boolean> {
    const table = await this.table;
    try {
      await table.getEntity(this.bucket(seq), seqKey(seq), { queryOptions: { select: ['seq'] } });
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  private async keysAfter(afterSeq: number, limit: number): Promise<number[]> {
    const table = await this.table;
    const seqs: number[] = [];
    const pages = table
      .listEntities<{ seq: number }>({
        queryOptions: { filter: odata`PartitionKey ge ${this.bucket(afterSeq + 1)} and RowKey gt ${seqKey(afterSeq)}`, select: ['seq'] },
      })
      .byPage({ maxPageSize: limit });
    for await (const page of pages) {
      for (const row of page) seqs.push(Number(row.seq));
      if (seqs.length >= limit) break;
    }
    return seqs;
  }
}
