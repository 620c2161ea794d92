import type { FeedEntry } from '../events/envelope.ts';
import type { FeedColumns } from '../relay/feed.ts';
import type { ViewStore } from './view-buffer.ts';
import { channels } from '../bus/bus.ts';
import { isPreconditionFailed } from '../store/storage.ts';
import { checkpointBlob, readJson, rebuildBlob, type ProjectionCheckpoint, type RebuildRecord } from './generations.ts';
import { runnerKey } from './runner-keys.ts';
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
  /** Caught up with the live checkpoint: each live batch is applied to it too (partitioned projections). */
  following?: boolean;
}

/** What the first runner of a partitioned projection last read of the others' checkpoints. */
interface PeerSight {
  /** Every other partition follows the shadow of this rebuild. */
  allFollowing: boolean;
  /** Every other partition reads (and writes) this generation and nothing else. */
  allOn: (generation: number) => boolean;
  /** No other partition still writes this generation as a shadow. */
  noneShadowing: (generation: number) => boolean;
  done: number;
  total: number;
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
 *
 * A partitioned projection has a runner per partition, all filling one shadow
 * generation, which the first runner names (in the record). A runner whose shadow has
 * caught up *follows*: it applies each live batch to both generations. The first runner
 * swaps readers over (its checkpoint names their generation) only when every partition
 * follows, so the shadow then holds everything any live view held; each other runner
 * swaps at its next look (writing both until then), and the old tables are dropped once
 * every partition has let go of them. A cancel works the same way round.
 */
export class Rebuild {
  private readonly runner: ProjectionRunner;
  private shadow: Shadow | undefined;
  private lastGeneration = 0;
  private lastPoll = -Infinity;
  private lastProgress = 0;
  private record: { value: RebuildRecord; etag: string } | undefined;
  private rate = { at: 0, seq: 0, perSecond: 0 };
  /** First runner of a partitioned projection: a generation to drop once no partition uses it. */
  private retiring: NonNullable<ProjectionCheckpoint['retiring']> = [];
  private peers: PeerSight | undefined;
  /** The shadow's listing of the feed, kept across steps while each step starts where the last ended. */
  private listing:
    | { shadow: string; next: number; buffer: FeedColumns[]; pages: AsyncIterator<FeedColumns[]>; done: boolean; coming?: Promise<IteratorResult<FeedColumns[]>> }
    | undefined;

  constructor(runner: ProjectionRunner) {
    this.runner = runner;
  }

  /** Check for requests on the next step (a bus signal arrived). */
  wake(): void {
    this.lastPoll = -Infinity;
  }

  /** More than one runner share this projection (one per partition). */
  private get coordinated(): boolean {
    return this.runner.runners > 1;
  }

  /** The runner that names generations, swaps readers and drops tables. */
  private get first(): boolean {
    return (this.runner.parts.partition?.index ?? 0) === 0;
  }

  saved(): Pick<ProjectionCheckpoint, 'shadow' | 'retiring'> & { lastGeneration: number } {
    const current = this.shadow;
    if (current) for (const seq of current.parked.keys()) if (seq <= current.seq) current.parked.delete(seq);
    const shadow = current && {
      id: current.id,
      generation: current.generation,
      seq: current.seq,
      startedAt: current.startedAt,
      ...(current.parked.size > 0 ? { parked: [...current.parked.values()] } : {}),
      ...(current.following ? { following: true } : {}),
    };
    return { lastGeneration: this.lastGeneration, ...(shadow ? { shadow } : {}), ...(this.retiring.length > 0 ? { retiring: this.retiring } : {}) };
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
        // Saved with the live position it followed; behind it, it catches up first.
        following: saved.shadow.following === true && saved.shadow.seq >= saved.seq,
      };
    } else {
      this.shadow = undefined;
    }
    this.retiring = saved?.retiring ?? [];
    this.lastPoll = -Infinity;
  }

  suspend(): void {
    this.shadow = undefined;
    this.listing = undefined;
  }

  /**
   * The shadow's next batch. A feed that can list itself (one table) is read as one
   * listing across steps, from the start without a filter; anything else (the merged
   * order of several partitions, a step that did not end where the listing is) reads a
   * batch after the shadow's position, as the live runner does.
   */
  private async readShadow(shadow: Shadow): Promise<FeedEntry[]> {
    const feed = this.runner.parts.feed;
    if (!feed.scan) return feed.read(shadow.seq, shadowBatch);
    let listing = this.listing;
    if (!listing || listing.shadow !== shadow.id || listing.next !== shadow.seq || (listing.done && listing.buffer.length === 0)) {
      listing = this.listing = { shadow: shadow.id, next: shadow.seq, buffer: [], pages: feed.scan(shadow.seq), done: false };
    }
    while (listing.buffer.length < shadowBatch && !listing.done) {
      const page = await (listing.coming ?? listing.pages.next());
      listing.coming = undefined;
      if (page.done) listing.done = true;
      else listing.buffer.push(...page.value);
    }
    const rows = listing.buffer.splice(0, shadowBatch);
    if (rows.length > 0) listing.next = Number(rows[rows.length - 1]!.seq);
    // The store lists the next page while this batch is applied.
    if (!listing.done && listing.buffer.length < shadowBatch) {
      listing.coming = listing.pages.next();
      listing.coming.catch(() => undefined); // met by the step that awaits it
    }
    return Promise.all(rows.map((row) => feed.decode(row)));
  }

  get active(): boolean {
    return this.shadow !== undefined;
  }

  /** One shadow batch (and a look at requests now and then). True while there is more. */
  async step(): Promise<boolean> {
    if (performance.now() - this.lastPoll >= pollMs) await this.poll();
    const shadow = this.shadow;
    // A following shadow moves with the live batches (see follow).
    if (!shadow || shadow.following) return false;
    const entries = await this.readShadow(shadow);
    if (entries.length > 0) {
      const { last } = await this.runner.applyBatch(entries, shadow.views, shadow.cache, shadow.parked, shadow.generation);
      shadow.seq = last;
    }
    if (shadow.seq >= this.runner.checkpoint) {
      if (!this.coordinated) {
        await this.swap(shadow);
        return false;
      }
      // Caught up: from now on each live batch goes to both; the swap waits for every partition.
      shadow.seq = this.runner.checkpoint;
      shadow.following = true;
      await this.runner.save();
      this.lastPoll = -Infinity;
      return true;
    }
    await this.runner.save();
    await this.progress('running');
    return true;
  }

  /**
   * A live batch (read after `from`) reaches a following shadow too, before anyone is
   * told it is visible: whichever generation readers use when the swap happens holds it.
   */
  async follow(entries: import('../events/envelope.ts').FeedEntry[], from: number): Promise<void> {
    const shadow = this.shadow;
    if (!shadow?.following || entries.length === 0) return;
    if (shadow.seq !== from) {
      // Not where the live batch began (a replay after a restart): catch up first.
      shadow.following = false;
      return;
    }
    const { last } = await this.runner.applyBatch(entries, shadow.views, shadow.cache, shadow.parked, shadow.generation);
    shadow.seq = last;
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
    // The first runner of several drops the old tables once every partition has left them.
    if (this.coordinated && this.first) this.retiring.push({ generation: old, reason: 'swapped' });
    await this.runner.save();
    await this.runner.supersedeLetters();
    this.runner.parts.log.info({ projection: this.runner.key, generation: shadow.generation, seq: shadow.seq }, 'rebuilt view swapped in');
    if (!this.first) return;
    const { context } = this.runner.parts;
    void this.runner.parts.bus.publish(channels.viewSwapped(context), { context, projection: this.runner.name, generation: shadow.generation });
    await this.progress('done');
    if (!this.coordinated) this.dropLater(old);
  }

  private dropLater(generation: number): void {
    setTimeout(() => {
      this.runner.parts.dropGeneration(generation).catch((error) => this.runner.parts.log.warn({ err: (error as Error).message }, 'old view tables not dropped'));
    }, dropDelayMs).unref();
  }

  /** The other partitions' checkpoints, as their runners last saved them. */
  private async lookAtPeers(container: import('@azure/storage-blob').ContainerClient): Promise<PeerSight> {
    const count = this.runner.runners;
    const others = await Promise.all(
      Array.from({ length: count }, (_, p) => p)
        .filter((p) => p !== (this.runner.parts.partition?.index ?? 0))
        .map(async (p) => (await readJson<ProjectionCheckpoint>(container, checkpointBlob(runnerKey(this.runner.name, p))))?.value),
    );
    const id = this.shadow?.id;
    return {
      allFollowing: id !== undefined && others.every((c) => c?.shadow?.id === id && c.shadow.following === true),
      allOn: (generation) => others.every((c) => (c?.generation ?? 0) === generation && c?.shadow?.generation !== generation),
      noneShadowing: (generation) => others.every((c) => c?.shadow?.generation !== generation),
      done: others.reduce((sum, c) => sum + (c?.shadow?.seq ?? 0), 0),
      total: others.reduce((sum, c) => sum + (c?.seq ?? 0), 0),
    };
  }

  private async poll(): Promise<void> {
    this.lastPoll = performance.now();
    const container = await this.runner.parts.container();
    this.record = await readJson<RebuildRecord>(container, rebuildBlob(this.runner.name));
    if (this.coordinated) return this.first ? this.lead(container) : this.join(container);
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

  /** The first runner of a partitioned projection: begins, swaps readers, cancels and drops. */
  private async lead(container: import('@azure/storage-blob').ContainerClient): Promise<void> {
    const record = this.record?.value;
    const ours = record !== undefined && this.shadow?.id === record.id;
    if (this.shadow || this.retiring.length > 0) this.peers = await this.lookAtPeers(container);
    const peers = this.peers;
    const settled = this.retiring.filter(({ generation, reason }) => (reason === 'swapped' ? peers?.allOn(this.runner.generation) : peers?.noneShadowing(generation)));
    if (settled.length > 0) {
      this.retiring = this.retiring.filter((r) => !settled.includes(r));
      await this.runner.save();
      for (const { generation, reason } of settled) {
        if (reason === 'swapped') this.dropLater(generation);
        else await this.runner.parts.dropGeneration(generation);
      }
    }
    if (!record) return;
    if (record.state === 'cancel-requested') {
      if (ours) await this.cancel();
      else await this.progress('cancelled');
      return;
    }
    if ((record.state === 'requested' || record.state === 'running') && !ours) return this.begin(record);
    if (ours && this.shadow!.following && this.peers?.allFollowing) await this.swap(this.shadow!);
  }

  /**
   * Any other runner of a partitioned projection: fills the shadow the first runner
   * named, swaps once readers use it, lets go of a cancelled one.
   */
  private async join(container: import('@azure/storage-blob').ContainerClient): Promise<void> {
    const record = this.record?.value;
    const shadow = this.shadow;
    const current = record !== undefined && shadow?.id === record.id;
    if (shadow && (!current || record.state === 'cancel-requested' || record.state === 'cancelled')) {
      // Cancelled, or replaced by a newer request: the first runner drops the tables.
      this.shadow = undefined;
      await this.runner.save();
      await this.runner.abandonLetters(shadow.generation);
    }
    if (shadow?.following && current) {
      const first = (await readJson<ProjectionCheckpoint>(container, checkpointBlob(this.runner.name)))?.value;
      if ((first?.generation ?? 0) === shadow.generation) return this.swap(shadow);
    }
    if (record?.state === 'running' && record.generation !== undefined && !this.shadow) await this.begin(record, record.generation);
  }

  /** Starts a shadow: a new generation, or (another partition's runner) the one the first named. */
  private async begin(record: RebuildRecord, named?: number): Promise<void> {
    if (this.shadow) {
      // Another partition may still write an abandoned shadow: the first runner drops it once none does.
      if (this.coordinated) this.retiring.push({ generation: this.shadow.generation, reason: 'cancelled' });
      else await this.runner.parts.dropGeneration(this.shadow.generation);
      await this.runner.abandonLetters(this.shadow.generation);
    }
    const generation = named ?? Math.max(this.lastGeneration, this.runner.generation) + 1;
    this.lastGeneration = Math.max(this.lastGeneration, generation);
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
    if (this.first) await this.progress('running', true);
    this.runner.parts.log.info({ projection: this.runner.key, generation }, 'rebuild started');
  }

  private async cancel(): Promise<void> {
    const shadow = this.shadow!;
    this.shadow = undefined;
    // The other partitions let go of the shadow at their next look; its tables go after.
    if (this.coordinated) this.retiring.push({ generation: shadow.generation, reason: 'cancelled' });
    await this.runner.save();
    if (!this.coordinated) await this.runner.parts.dropGeneration(shadow.generation);
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
    if (!base || !this.first) return;
    // A partitioned projection's progress sums its partitions' (as last seen).
    const peers = this.coordinated ? this.peers : undefined;
    const done = (this.shadow?.seq ?? this.runner.checkpoint) + (peers ? (state === 'done' ? peers.total : peers.done) : 0);
    const total = Math.max(this.runner.checkpoint + (peers?.total ?? 0), done);
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
