import type { TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { Logger } from 'pino';
import { channels, type Bus, type ViewChange } from '../bus/bus.ts';
import type { FeedEntry } from '../events/envelope.ts';
import { consumerAttributes, recordProcessed } from '../metrics/index.ts';
import type { FeedReader } from '../relay/feed.ts';
import type { FeedPartition } from '../relay/partitions.ts';
import { ToldHead } from '../relay/told-head.ts';
import { statusOf } from '../store/storage.ts';
import { linkedSpan, SpanKind } from '../tracing/telemetry.ts';
import type { BlobLease } from '../worker/blob-lease.ts';
import type { LeasedWork } from '../worker/leased-loop.ts';
import type { ApplyRecorder } from '../journey/apply-log.ts';
import type { ProjectionDefinition } from './define-projection.ts';
import { DeadLetterBook, type DeadLetter } from './dead-letters.ts';
import type { ProjectionCheckpoint } from './generations.ts';
import { Rebuild } from './rebuild.ts';
import { RowCache, rowCacheSize } from './row-cache.ts';
import { ViewBuffer, type ViewStore } from './view-buffer.ts';

export type { ProjectionCheckpoint } from './generations.ts';
export type { DeadLetter, DeadLetterState } from './dead-letters.ts';

/** Events a generation parked past its saved position, by seq (see ProjectionCheckpoint.parked). */
export type Parked = Map<number, DeadLetter>;

export interface ProjectionParts {
  context: string;
  definition: ProjectionDefinition;
  /**
   * The runner's name for its lease, checkpoint and dead letters (see runner-keys.ts):
   * the projection's name, or `{name}~p{p}` for a partitioned projection's partition p > 0.
   */
  key?: string;
  /** Set for a partitioned projection: the feed partition this runner applies (`feed` is that partition's). */
  partition?: FeedPartition;
  feed: FeedReader;
  /** The stored types it applies (default: the definition's `handles`); over another context's feed, the internal types behind the contract types it handles. */
  handles?: string[];
  /** The view tables of a generation, created if need be. */
  viewsFor: (generation: number) => Promise<Map<string, ViewStore>>;
  /** Deletes a generation's tables (after a swap, or a cancelled rebuild). */
  dropGeneration: (generation: number) => Promise<void>;
  container: () => Promise<ContainerClient>;
  deadLetters: TableClient;
  lease: BlobLease;
  bus: Bus;
  log: Logger;
  /** Reads stored data as the current schema version. */
  upcast: (entry: FeedEntry) => FeedEntry;
  /** Told of each view change before the bus is (this process's waiters need no round trip). */
  onChanged?: (change: ViewChange) => void;
  /** How often the live checkpoint is saved while events flow (default 1 s). */
  checkpointMs?: number;
  /** The least time between two saves when the feed runs dry (default 250 ms; needs `wakeLoop`). */
  drySaveMs?: number;
  /** Records when batches were applied, for event journeys (written after each save). */
  applied?: ApplyRecorder;
  /**
   * Skips a step's read when every entry it was told of (`told`) is applied and it read
   * the feed less than this long ago (default 0: always read). The runtime sets half its
   * idle poll, so the poll still reads.
   */
  askFreshMs?: number;
}

const attempts = 3;
/** Retries between two seqs go this far apart (exact in a double up to seqs of 2^42). */
const retryStep = 1 / 1024;

/** True when every table is empty: a runner starting from seq 0 then knows every row. */
export async function emptyViews(views: Map<string, ViewStore>): Promise<boolean> {
  for (const view of views.values()) if (!(await view.isEmpty())) return false;
  return true;
}
/** Parked events asked to be retried are looked for at least this often. */
const retryPollMs = 5000;


/**
 * Applies a context's feed to one projection's view tables, from its checkpoint
 * (catch-up, then live on wake-ups). View writes and the checkpoint are separate
 * requests; the per-row seq in ViewBuffer makes the replay after a crash exact.
 *
 * The same runner rebuilds: it fills a shadow generation from seq 0 between its live
 * batches and, once the shadow has reached the live checkpoint, swaps it in with one
 * write of its lease blob. Readers see the old generation until then.
 */
export class ProjectionRunner implements LeasedWork {
  readonly parts: ProjectionParts;
  private readonly batchSize: number;
  private readonly handles: Set<string>;
  private views = new Map<string, ViewStore>();
  private cache: RowCache | undefined;
  readonly rebuild: Rebuild;
  checkpoint = 0;
  /** The checkpoint as last written to the lease blob. */
  private savedCheckpoint = 0;
  private lastSave = 0;
  generation = 0;
  deadLetterCount = 0;
  eventsApplied = 0;
  private readonly letters: DeadLetterBook;
  private parked: Parked = new Map();
  private retrying: ProjectionCheckpoint['retrying'];
  /** Where the last retry was applied: retries between two seqs each get their own position. */
  private retriedAt = 0;
  private readonly toldHead: ToldHead;

  constructor(parts: ProjectionParts, batchSize = 500) {
    this.parts = parts;
    this.batchSize = batchSize;
    this.toldHead = new ToldHead(parts.askFreshMs ?? 0);
    this.handles = new Set(parts.handles ?? parts.definition.handles);
    this.letters = new DeadLetterBook(parts.deadLetters, parts.key ?? parts.definition.name);
    this.rebuild = new Rebuild(this);
  }

  get name(): string {
    return this.parts.definition.name;
  }

  /** How OpenTelemetry's messaging metrics name this runner (its feed, the projection as consumer group). */
  private get consumer() {
    return { ...consumerAttributes(this.parts.feed.context, this.name, this.parts.partition?.index), 'eventloom.context': this.parts.context };
  }

  /** Lease, checkpoint, dead letters and progress go by this name. */
  get key(): string {
    return this.parts.key ?? this.parts.definition.name;
  }

  /** The partitions this projection runs over, one runner each (1 when it reads the merged order). */
  get runners(): number {
    return this.parts.partition?.of ?? 1;
  }

  /** Rows cached and parked events remembered: bounded by the cache size, not by history. */
  get footprint(): { cachedRows: number; parked: number } {
    return { cachedRows: this.cache?.size ?? 0, parked: this.parked.size };
  }

  async start(): Promise<void> {
    const saved = await this.parts.lease.read<ProjectionCheckpoint>();
    this.assertSameOrder(saved);
    this.checkpoint = saved?.seq ?? 0;
    this.savedCheckpoint = this.checkpoint;
    this.lastSave = performance.now();
    this.generation = saved?.generation ?? 0;
    this.parked = new Map((saved?.parked ?? []).map((letter) => [letter.seq, letter]));
    this.retrying = saved?.retrying;
    this.retriedAt = saved?.retriedAt ?? 0;
    this.parts.applied?.reset();
    this.toldHead.forget();
    this.views = await this.parts.viewsFor(this.generation);
    this.cache = new RowCache(rowCacheSize, this.checkpoint === 0 && (await emptyViews(this.views)));
    await this.rebuild.resume(saved);
  }

  /**
   * A position counts events of one order: the merged feed's, or one partition's. A
   * projection that changed between the two (at more than one partition) would read its
   * position in the wrong order, so it stops and says what to do.
   */
  private assertSameOrder(saved: ProjectionCheckpoint | undefined): void {
    if (!saved || (saved.seq === 0 && !saved.shadow)) return;
    const was = saved.partitioned ?? 1;
    const now = this.parts.partition?.of ?? 1;
    if (was === now) return;
    const order = (n: number) => (n === 1 ? 'over the merged feed' : `per partition (${n} partitions)`);
    throw new Error(
      `projection ${this.name} ran ${order(was)} and is now declared to run ${order(now)}: its checkpoint is not a position in that order. ` +
        'Give the projection a new name (it fills from the start beside the old one) or undo the change.',
    );
  }

  /** Stopping while holding the lease: keep the position reached. */
  async drain(): Promise<void> {
    if (this.checkpoint !== this.savedCheckpoint) await this.save();
  }

  stop(): void {
    this.cache = undefined;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.rebuild.suspend();
  }

  async step(): Promise<boolean> {
    if (this.retrying) await this.finishRetry();
    const more = await this.stepLive();
    // Only once caught up with the feed: rows written before a restart (or by another
    // process's runner) may carry seqs past this checkpoint, and a retry placed below
    // them would be skipped there.
    if (!more && (this.retryDue || performance.now() - this.lastRetryPoll > retryPollMs)) await this.retryParked();
    const rebuilding = await this.rebuild.step();
    return more || rebuilding;
  }

  /** A notice: the feed holds entries up to `head` (in this runner's order). */
  told(head: number): void {
    this.toldHead.told(head);
  }

  /** An admin asked for something: look at requests on the next step. */
  wakeRequests(): void {
    this.retryDue = true;
    this.rebuild.wake();
  }

  private retryDue = true;
  private lastRetryPoll = 0;

  /**
   * Re-applies parked events an admin asked to retry. Each is applied between the live
   * checkpoint and the next seq (checkpoint + k/1024, the k-th retry there): later
   * events still change the rows it touches, a replay of older events leaves them alone,
   * and two retries never share a position (the second would be taken for a replay).
   * The retry and its position are saved before any row changes, so a successor finishes
   * the same retry at the same position instead of applying it a second time further on.
   */
  private async retryParked(): Promise<void> {
    // Caught up with the feed table itself, not only with what this process placed:
    // another process's relay may have placed more, and its runner written rows there.
    if ((await this.parts.feed.head(this.checkpoint)) !== this.checkpoint) return;
    this.lastRetryPoll = performance.now();
    for (const letter of await this.letters.requested(this.generation)) {
      const at = Math.max(this.checkpoint, this.retriedAt) + retryStep;
      // Positions between two seqs are used up: the rest wait for the next event.
      if (at >= this.checkpoint + 1) return;
      this.retrying = { seq: letter.seq, at };
      this.retriedAt = at;
      await this.save();
      await this.finishRetry(letter);
    }
    this.retryDue = false;
  }

  private async finishRetry(requested?: DeadLetter): Promise<void> {
    const { seq, at } = this.retrying!;
    const [stored] = await this.parts.feed.read(seq - 1, 1);
    if (stored && stored.seq === seq) {
      // The retry's span is linked to the event's trace, never a child of it.
      await linkedSpan(`retry ${this.key}`, SpanKind.CONSUMER, [stored.traceparent], { ...this.spanAttributes('retry'), 'eventloom.seq': seq }, async () => {
        const buffer = new ViewBuffer(this.views, this.cache, this.parts.partition?.index);
        buffer.seq = at;
        const failure = await this.applyOne(stored, buffer);
        if (!failure) await buffer.flush();
        const letter = requested ?? (await this.letters.requested(this.generation)).find((l) => l.seq === seq);
        if (letter) await this.letters.settle(letter, failure?.error);
        this.parts.log.info({ projection: this.name, seq, ok: !failure }, 'dead letter retried');
      });
    }
    this.retrying = undefined;
  }

  /** Set by whoever runs the runner's loop: asks it for a step soon (a deferred save). */
  wakeLoop: (() => void) | undefined;
  private saveTimer: NodeJS.Timeout | undefined;

  /**
   * The feed ran dry: save, unless a save was written less than `drySaveMs` ago. A
   * runner that keeps catching up runs dry after nearly every batch, and a save there
   * is one more storage write in the way of the next event; the deferred save comes
   * with a step the runner asks its loop for (or with the next batch's).
   */
  private async saveWhenDry(): Promise<void> {
    const wait = this.lastSave + (this.parts.drySaveMs ?? 250) - performance.now();
    if (wait <= 0 || !this.wakeLoop) return this.save();
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.wakeLoop?.();
    }, wait);
    this.saveTimer.unref();
  }

  /** The durable state: live checkpoint, generation and any shadow in progress. */
  async save(): Promise<void> {
    for (const seq of this.parked.keys()) if (seq <= this.checkpoint) this.parked.delete(seq);
    const state: ProjectionCheckpoint = {
      seq: this.checkpoint,
      generation: this.generation,
      ...(this.parts.partition && this.parts.partition.of > 1 ? { partitioned: this.parts.partition.of } : {}),
      ...(this.parked.size > 0 ? { parked: [...this.parked.values()] } : {}),
      ...(this.retrying ? { retrying: this.retrying } : {}),
      ...(this.retriedAt > this.checkpoint ? { retriedAt: this.retriedAt } : {}),
      ...this.rebuild.saved(),
    };
    await this.parts.lease.write(state);
    this.parts.applied?.saved(state.seq, this.generation);
    this.savedCheckpoint = state.seq;
    this.lastSave = performance.now();
  }

  /** Makes the shadow the live generation (called by the rebuild at the right moment). */
  async swap(generation: number, seq: number, parked: Parked): Promise<number> {
    const old = this.generation;
    this.generation = generation;
    this.checkpoint = Math.max(this.checkpoint, seq);
    this.parked = parked;
    this.views = await this.parts.viewsFor(generation);
    this.cache = this.rebuild.takeCache() ?? new RowCache(rowCacheSize, false);
    return old;
  }

  /** After a swap: the older generations' dead letters describe views no one reads. */
  supersedeLetters(): Promise<void> {
    return this.letters.supersede(this.generation);
  }

  /** A shadow generation was dropped: its dead letters go with it. */
  abandonLetters(generation: number): Promise<void> {
    return this.letters.supersede(generation, 'this generation');
  }

  /**
   * One batch from the live checkpoint. The view rows carry their seq, so the checkpoint
   * need not be written with every batch: it is saved once a second while events flow
   * and when the feed runs dry, and a successor replays at most that second exactly.
   */
  private async stepLive(): Promise<boolean> {
    const entries = await this.toldHead.read(this.checkpoint, this.batchSize, () => this.parts.feed.read(this.checkpoint, this.batchSize));
    if (entries.length === 0) {
      if (this.checkpoint !== this.savedCheckpoint) await this.saveWhenDry();
      return false;
    }
    const before = this.checkpoint;
    const started = performance.now();
    const { applied, last } = await this.applyBatch(entries, this.views, this.cache, this.parked, this.generation);
    recordProcessed(this.consumer, 'apply', (performance.now() - started) / 1000, applied.length);
    this.checkpoint = last;
    this.eventsApplied += applied.length;
    if (applied.length > 0) this.parts.applied?.applied(before, last, this.generation);
    // A rebuild of a partitioned projection, caught up, follows the live batches until every partition is.
    await this.rebuild.follow(entries, before);
    const change: ViewChange = {
      context: this.parts.context,
      projection: this.name,
      ...(this.key !== this.name || this.parts.partition ? { runner: this.key, partition: this.parts.partition?.index ?? 0 } : {}),
      seq: last,
      streams: [...new Set(applied.map((e) => e.stream))],
      eventIds: applied.map((e) => e.id),
    };
    this.parts.onChanged?.(change);
    // Never awaited: a hung Redis must not hold the projection (the bus only signals).
    void this.parts.bus.publish(channels.viewChanged(this.parts.context), change);
    if (performance.now() - this.lastSave >= (this.parts.checkpointMs ?? 1000)) await this.save();
    return entries.length === this.batchSize;
  }

  /**
   * Applies feed entries to one generation's view tables; parks events whose handler
   * keeps failing. A parking decision is saved (under the lease) before the rows of its
   * batch are written, and whoever replays the batch keeps it: two runners never write
   * rows that disagree about an event, whatever their handlers did.
   */
  async applyBatch(entries: FeedEntry[], views: Map<string, ViewStore>, cache: RowCache | undefined, parked: Parked, generation: number): Promise<{ applied: FeedEntry[]; last: number }> {
    // A span of its own, linked to the events' traces (a rebuild's batch too: replays never grow them).
    const attributes = { ...this.spanAttributes('process'), 'messaging.batch.message_count': entries.length, 'eventloom.generation': generation, 'eventloom.rebuild': generation !== this.generation };
    return await linkedSpan(`apply ${this.key}`, SpanKind.CONSUMER, entries.map((e) => e.traceparent), attributes, () => this.applyEntries(entries, views, cache, parked, generation));
  }

  private spanAttributes(operation: string) {
    return { ...this.consumer, 'messaging.operation.name': operation };
  }

  private async applyEntries(entries: FeedEntry[], views: Map<string, ViewStore>, cache: RowCache | undefined, parked: Parked, generation: number): Promise<{ applied: FeedEntry[]; last: number }> {
    const buffer = new ViewBuffer(views, cache, this.parts.partition?.index);
    const letters: DeadLetter[] = [];
    const fresh: DeadLetter[] = [];
    const applied: FeedEntry[] = [];
    for (const stored of entries) {
      if (!this.handles.has(stored.type)) continue;
      const decided = parked.get(stored.seq);
      if (decided) {
        letters.push(decided);
        continue;
      }
      buffer.seq = stored.seq;
      const failure = await this.applyOne(stored, buffer);
      if (failure) fresh.push({ ...failure, generation });
      else applied.push(stored);
    }
    if (!this.parts.lease.held) throw new Error(`projection ${this.name}: lease expired before writing its batch`);
    if (fresh.length > 0) {
      for (const letter of fresh) parked.set(letter.seq, letter);
      await this.save();
    }
    await buffer.flush();
    await Promise.all([...letters, ...fresh].map((letter) => this.letters.park(letter)));
    this.deadLetterCount += fresh.length;
    return { applied, last: entries[entries.length - 1]!.seq };
  }

  /** Applies one entry; returns a dead letter when the handler keeps throwing. */
  private async applyOne(stored: FeedEntry, buffer: ViewBuffer): Promise<DeadLetter | undefined> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.parts.definition.apply(this.parts.upcast(stored), buffer);
        buffer.commit();
        return undefined;
      } catch (error) {
        buffer.rollback();
        // Storage trouble is not the event's fault: fail the step and retry it later.
        if (statusOf(error) !== undefined) throw error;
        lastError = error as Error;
      }
    }
    this.parts.log.error({ projection: this.name, seq: stored.seq, type: stored.type, err: lastError?.message }, 'event parked as a dead letter');
    return {
      projection: this.key,
      seq: stored.seq,
      eventId: stored.id,
      type: stored.type,
      stream: stored.stream,
      error: lastError?.stack ?? String(lastError),
      at: new Date().toISOString(),
      state: 'parked',
      attempts: attempts,
    };
  }

}
