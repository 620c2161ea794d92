import { odata, type TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { Logger } from 'pino';
import { channels, type Bus, type ViewChange } from '../bus/bus.ts';
import type { FeedEntry } from '../events/envelope.ts';
import type { Feed } from '../relay/feed.ts';
import { seqKey } from '../store/keys.ts';
import { statusOf } from '../store/storage.ts';
import type { BlobLease } from '../worker/blob-lease.ts';
import type { LeasedWork } from '../worker/leased-loop.ts';
import type { ProjectionDefinition } from './define-projection.ts';
import type { ProjectionCheckpoint } from './generations.ts';
import { Rebuild } from './rebuild.ts';
import { RowCache, rowCacheSize } from './row-cache.ts';
import { ViewBuffer, type ViewStore } from './view-buffer.ts';

export type { ProjectionCheckpoint } from './generations.ts';

export type DeadLetterState = 'parked' | 'retry-requested' | 'retried' | 'skipped';

export interface DeadLetter {
  projection: string;
  seq: number;
  eventId: string;
  type: string;
  stream: string;
  error: string;
  at: string;
  state: DeadLetterState;
  attempts: number;
}

export interface ProjectionParts {
  context: string;
  definition: ProjectionDefinition;
  feed: Feed;
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
}

const attempts = 3;
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

  constructor(parts: ProjectionParts, batchSize = 500) {
    this.parts = parts;
    this.batchSize = batchSize;
    this.handles = new Set(parts.definition.handles);
    this.rebuild = new Rebuild(this);
  }

  get name(): string {
    return this.parts.definition.name;
  }

  async start(): Promise<void> {
    const saved = await this.parts.lease.read<ProjectionCheckpoint>();
    this.checkpoint = saved?.seq ?? 0;
    this.savedCheckpoint = this.checkpoint;
    this.lastSave = performance.now();
    this.generation = saved?.generation ?? 0;
    this.views = await this.parts.viewsFor(this.generation);
    this.cache = new RowCache(rowCacheSize, this.checkpoint === 0);
    await this.rebuild.resume(saved);
  }

  /** Stopping while holding the lease: keep the position reached. */
  async drain(): Promise<void> {
    if (this.checkpoint !== this.savedCheckpoint) await this.save();
  }

  stop(): void {
    this.cache = undefined;
    this.rebuild.suspend();
  }

  async step(): Promise<boolean> {
    const more = await this.stepLive();
    if (this.retryDue || performance.now() - this.lastRetryPoll > retryPollMs) await this.retryParked();
    const rebuilding = await this.rebuild.step();
    return more || rebuilding;
  }

  /** An admin asked for something: look at requests on the next step. */
  wakeRequests(): void {
    this.retryDue = true;
    this.rebuild.wake();
  }

  private retryDue = true;
  private lastRetryPoll = 0;

  /**
   * Re-applies parked events an admin asked to retry. They are applied as if just after
   * the live checkpoint (seq + ½): later events still change the rows they touch, and
   * a replay of older events leaves them alone.
   */
  private async retryParked(): Promise<void> {
    this.retryDue = false;
    this.lastRetryPoll = performance.now();
    const requested = this.parts.deadLetters.listEntities<DeadLetter>({
      queryOptions: { filter: odata`PartitionKey eq ${this.name} and state eq ${'retry-requested'}` },
    });
    for await (const letter of requested) {
      const [stored] = await this.parts.feed.read(Number(letter.seq) - 1, 1);
      if (!stored || stored.seq !== Number(letter.seq)) continue;
      const buffer = new ViewBuffer(this.views, this.cache);
      buffer.seq = this.checkpoint + 0.5;
      const failure = await this.applyOne(stored, buffer);
      if (!failure) await buffer.flush();
      const attempts = Number(letter.attempts ?? 1) + 1;
      await this.parts.deadLetters.updateEntity(
        { partitionKey: this.name, rowKey: seqKey(Number(letter.seq)), state: failure ? 'parked' : 'retried', attempts, ...(failure ? { error: failure.error } : { retriedAt: new Date().toISOString() }) },
        'Merge',
      );
      this.parts.log.info({ projection: this.name, seq: letter.seq, ok: !failure }, 'dead letter retried');
    }
  }

  /** The durable state: live checkpoint, generation and any shadow in progress. */
  async save(): Promise<void> {
    const state: ProjectionCheckpoint = { seq: this.checkpoint, generation: this.generation, ...this.rebuild.saved() };
    await this.parts.lease.write(state);
    this.savedCheckpoint = state.seq;
    this.lastSave = performance.now();
  }

  /** Makes the shadow the live generation (called by the rebuild at the right moment). */
  async swap(generation: number, seq: number): Promise<number> {
    const old = this.generation;
    this.generation = generation;
    this.checkpoint = Math.max(this.checkpoint, seq);
    this.views = await this.parts.viewsFor(generation);
    this.cache = this.rebuild.takeCache() ?? new RowCache(rowCacheSize, false);
    return old;
  }

  /**
   * One batch from the live checkpoint. The view rows carry their seq, so the checkpoint
   * need not be written with every batch: it is saved once a second while events flow
   * and when the feed runs dry, and a successor replays at most that second exactly.
   */
  private async stepLive(): Promise<boolean> {
    const entries = await this.parts.feed.read(this.checkpoint, this.batchSize);
    if (entries.length === 0) {
      if (this.checkpoint !== this.savedCheckpoint) await this.save();
      return false;
    }
    const { applied, last } = await this.applyBatch(entries, this.views, this.cache);
    this.checkpoint = last;
    this.eventsApplied += applied.length;
    const change: ViewChange = {
      context: this.parts.context,
      projection: this.name,
      seq: last,
      streams: [...new Set(applied.map((e) => e.stream))],
      eventIds: applied.map((e) => e.id),
    };
    this.parts.onChanged?.(change);
    await this.parts.bus.publish(channels.viewChanged(this.parts.context), change);
    if (performance.now() - this.lastSave >= (this.parts.checkpointMs ?? 1000)) await this.save();
    return entries.length === this.batchSize;
  }

  /** Applies feed entries to a set of view tables; parks events whose handler keeps failing. */
  async applyBatch(entries: FeedEntry[], views: Map<string, ViewStore>, cache?: RowCache): Promise<{ applied: FeedEntry[]; last: number }> {
    const buffer = new ViewBuffer(views, cache);
    const parked: DeadLetter[] = [];
    const applied: FeedEntry[] = [];
    for (const stored of entries) {
      if (!this.handles.has(stored.type)) continue;
      buffer.seq = stored.seq;
      const failure = await this.applyOne(stored, buffer);
      if (failure) parked.push(failure);
      else applied.push(stored);
    }
    if (!this.parts.lease.held) throw new Error(`projection ${this.name}: lease expired before writing its batch`);
    await buffer.flush();
    await Promise.all(parked.map((letter) => this.park(letter)));
    this.deadLetterCount += parked.length;
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
      projection: this.name,
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

  private async park(letter: DeadLetter): Promise<void> {
    await this.parts.deadLetters.upsertEntity({ partitionKey: letter.projection, rowKey: seqKey(letter.seq), ...letter }, 'Replace');
  }
}
