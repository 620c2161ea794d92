import type { ViewStore } from './view-buffer.ts';
import { channels } from '../bus/bus.ts';
import { isPreconditionFailed } from '../store/storage.ts';
import { readJson, rebuildBlob, type ProjectionCheckpoint, type RebuildRecord } from './generations.ts';
import { RowCache, rowCacheSize } from './row-cache.ts';
import { emptyViews, type Parked, type ProjectionRunner } from './runner.ts';

interface Shadow {
  id: string;
  generation: number;
  seq: number;
  startedAt: string;
  views: Map<string, ViewStore>;
  /** Knows every row when the shadow was filled from empty in this process. */
  cache: RowCache;
  /** Events the shadow parked past its saved position. */
  parked: Parked;
}

/** Published on `channels.rebuild(context)` as a rebuild moves. */
export interface RebuildProgress extends RebuildRecord {
  context: string;
}

const shadowBatch = 2000;
const pollMs = 2000;
const progressMs = 500;
/** Readers may still hold the old generation's name for a moment after a swap. */
const dropDelayMs = 10_000;

/**
 * A rebuild of one projection, driven by its live runner (the lease holder): it fills
 * a shadow generation from the start of the feed and swaps it in once it has caught
 * up with the live checkpoint. Requests, cancellations and progress go through the
 * rebuild record blob; the shadow's position lives in the runner's checkpoint, so a
 * rebuild survives a crash and resumes where it was.
 */
export class Rebuild {
  private readonly runner: ProjectionRunner;
  private shadow: Shadow | undefined;
  private lastGeneration = 0;
  private lastPoll = -Infinity;
  private lastProgress = 0;
  private record: { value: RebuildRecord; etag: string } | undefined;
  private rate = { at: 0, seq: 0, perSecond: 0 };

  constructor(runner: ProjectionRunner) {
    this.runner = runner;
  }

  /** Check for requests on the next step (a bus signal arrived). */
  wake(): void {
    this.lastPoll = -Infinity;
  }

  saved(): Pick<ProjectionCheckpoint, 'shadow'> & { lastGeneration: number } {
    const current = this.shadow;
    if (current) for (const seq of current.parked.keys()) if (seq <= current.seq) current.parked.delete(seq);
    const shadow = current && {
      id: current.id,
      generation: current.generation,
      seq: current.seq,
      startedAt: current.startedAt,
      ...(current.parked.size > 0 ? { parked: [...current.parked.values()] } : {}),
    };
    return { lastGeneration: this.lastGeneration, ...(shadow ? { shadow } : {}) };
  }

  async resume(saved: (ProjectionCheckpoint & { lastGeneration?: number }) | undefined): Promise<void> {
    this.lastGeneration = Math.max(saved?.lastGeneration ?? 0, saved?.generation ?? 0, saved?.shadow?.generation ?? 0);
    if (saved?.shadow) {
      const views = await this.runner.parts.viewsFor(saved.shadow.generation);
      this.shadow = {
        ...saved.shadow,
        views,
        cache: new RowCache(rowCacheSize, saved.shadow.seq === 0 && (await emptyViews(views))),
        parked: new Map((saved.shadow.parked ?? []).map((letter) => [letter.seq, letter])),
      };
    } else {
      this.shadow = undefined;
    }
    this.lastPoll = -Infinity;
  }

  suspend(): void {
    this.shadow = undefined;
  }

  get active(): boolean {
    return this.shadow !== undefined;
  }

  /** One shadow batch (and a look at requests now and then). True while there is more. */
  async step(): Promise<boolean> {
    if (performance.now() - this.lastPoll >= pollMs) await this.poll();
    const shadow = this.shadow;
    if (!shadow) return false;
    const entries = await this.runner.parts.feed.read(shadow.seq, shadowBatch);
    if (entries.length > 0) {
      const { last } = await this.runner.applyBatch(entries, shadow.views, shadow.cache, shadow.parked, shadow.generation);
      shadow.seq = last;
    }
    if (shadow.seq >= this.runner.checkpoint) {
      await this.swap(shadow);
      return false;
    }
    await this.runner.save();
    await this.progress('running');
    return true;
  }

  /** The shadow's row cache, handed to the live runner at the swap. */
  takeCache(): RowCache | undefined {
    return this.swapping?.cache;
  }

  private swapping: Shadow | undefined;

  private async swap(shadow: Shadow): Promise<void> {
    this.swapping = shadow;
    const old = await this.runner.swap(shadow.generation, shadow.seq, shadow.parked);
    this.swapping = undefined;
    this.shadow = undefined;
    await this.runner.save();
    await this.runner.supersedeLetters();
    const { context } = this.runner.parts;
    void this.runner.parts.bus.publish(channels.viewSwapped(context), { context, projection: this.runner.name, generation: shadow.generation });
    await this.progress('done');
    this.runner.parts.log.info({ projection: this.runner.name, generation: shadow.generation, seq: shadow.seq }, 'rebuilt view swapped in');
    setTimeout(() => {
      this.runner.parts.dropGeneration(old).catch((error) => this.runner.parts.log.warn({ err: (error as Error).message }, 'old view tables not dropped'));
    }, dropDelayMs).unref();
  }

  private async poll(): Promise<void> {
    this.lastPoll = performance.now();
    const container = await this.runner.parts.container();
    this.record = await readJson<RebuildRecord>(container, rebuildBlob(this.runner.name));
    const record = this.record?.value;
    if (!record) return;
    const ours = this.shadow?.id === record.id;
    if (record.state === 'cancel-requested') {
      if (ours) await this.cancel();
      else await this.progress('cancelled');
      return;
    }
    if ((record.state === 'requested' || record.state === 'running') && !ours) await this.begin(record);
  }

  private async begin(record: RebuildRecord): Promise<void> {
    if (this.shadow) {
      await this.runner.parts.dropGeneration(this.shadow.generation);
      await this.runner.abandonLetters(this.shadow.generation);
    }
    const generation = Math.max(this.lastGeneration, this.runner.generation) + 1;
    this.lastGeneration = generation;
    // A generation number is never reused, but one that began before a crash may have rows.
    const views = await this.runner.parts.viewsFor(generation);
    this.shadow = {
      id: record.id,
      generation,
      seq: 0,
      startedAt: new Date().toISOString(),
      views,
      cache: new RowCache(rowCacheSize, await emptyViews(views)),
      parked: new Map(),
    };
    this.rate = { at: performance.now(), seq: 0, perSecond: 0 };
    await this.runner.save();
    await this.progress('running', true);
    this.runner.parts.log.info({ projection: this.runner.name, generation }, 'rebuild started');
  }

  private async cancel(): Promise<void> {
    const shadow = this.shadow!;
    this.shadow = undefined;
    await this.runner.save();
    await this.runner.parts.dropGeneration(shadow.generation);
    await this.runner.abandonLetters(shadow.generation);
    await this.progress('cancelled', true);
    this.runner.parts.log.info({ projection: this.runner.name }, 'rebuild cancelled');
  }

  /** Writes the record (unless an admin changed it meanwhile) and tells listeners. */
  private async progress(state: RebuildRecord['state'], force = state !== 'running'): Promise<void> {
    const now = performance.now();
    if (!force && now - this.lastProgress < progressMs) return;
    this.lastProgress = now;
    const base = this.record?.value;
    if (!base) return;
    const done = this.shadow?.seq ?? this.runner.checkpoint;
    const total = Math.max(this.runner.checkpoint, done);
    const elapsed = (now - this.rate.at) / 1000;
    if (elapsed > 0.2) this.rate = { at: now, seq: done, perSecond: Math.max(0, (done - this.rate.seq) / elapsed) };
    const record: RebuildRecord = {
      ...base,
      state,
      done,
      total,
      eventsPerSecond: Math.round(this.rate.perSecond),
      ...(this.rate.perSecond > 0 ? { etaSeconds: Math.ceil((total - done) / this.rate.perSecond) } : {}),
      ...(this.shadow ? { generation: this.shadow.generation, startedAt: this.shadow.startedAt } : {}),
      ...(state === 'done' || state === 'cancelled' ? { finishedAt: new Date().toISOString() } : {}),
    };
    const blob = (await this.runner.parts.container()).getBlockBlobClient(rebuildBlob(this.runner.name));
    const body = JSON.stringify(record);
    try {
      const response = await blob.upload(body, Buffer.byteLength(body), { conditions: { ifMatch: this.record!.etag } });
      this.record = { value: record, etag: response.etag! };
    } catch (error) {
      // An admin wrote in between (a cancel): read it on the next step.
      if (!isPreconditionFailed(error)) throw error;
      this.lastPoll = -Infinity;
      return;
    }
    const { context } = this.runner.parts;
    void this.runner.parts.bus.publish(channels.rebuild(context), { ...record, context } satisfies RebuildProgress);
  }
}
