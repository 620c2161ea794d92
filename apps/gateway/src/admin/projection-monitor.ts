import { BlobLease, channels, parseRunnerKey, type ContextRuntime, type ContextStats, type ProjectionStats, type RebuildProgress, type RebuildRecord, type Runtime } from '@eventloom/core';
import type { Logger } from 'pino';
import type { OverviewView, ProjectionView, RebuildView } from './schemas.ts';

/** Behind the feed by more than this, a projection is catching up (the runtime's own threshold). */
const catchingUpAfter = 500;
/** events/s is the checkpoint's progress over this window. */
const rateWindowMs = 10_000;
/** Background sampling stops when nobody has asked for this long. */
const idleAfterMs = 60_000;

const rank: Record<RebuildRecord['state'], number> = { requested: 0, running: 1, 'cancel-requested': 2, done: 3, cancelled: 3, failed: 3 };
export const rebuildBusy = (record: { state: RebuildRecord['state'] } | null | undefined) => record !== null && record !== undefined && rank[record.state] < 3;

/** A projection's lease blob, as BlobLease names it (`leases/{name}.json`). */
const leaseBlob = (projection: string) => `leases/projection-${projection}.json`;

interface Sample {
  at: number;
  checkpoint: number;
}

/**
 * What admins see of every projection, sampled at most once a second and shared by
 * every caller. The runtime's own stats know only the workers of this process (a
 * gateway beside a separate worker sees them all as standby), so the monitor also
 * reads what the workers leave in storage: whether a lease is held, the live
 * generation, the rebuild record and the dead letters.
 */
export class ProjectionMonitor {
  private readonly runtime: Runtime;
  private readonly log: Logger;
  private readonly sampleMs: number;
  private latest: { overview: OverviewView; at: number } | undefined;
  private sampling: Promise<OverviewView> | undefined;
  private readonly history = new Map<string, Sample[]>();
  /** Rebuild progress heard on the bus: fresher than the record blob between its writes. */
  private readonly heard = new Map<string, RebuildProgress>();
  private listening: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastInterest = 0;
  /** Bumped by `forget`, so a sample begun before a change is not kept as the latest. */
  private epoch = 0;

  constructor(runtime: Runtime, log: Logger, sampleMs = 1000) {
    this.runtime = runtime;
    this.log = log;
    this.sampleMs = sampleMs;
  }

  /** The latest figures, sampled now unless a sample younger than a second exists. */
  async overview(): Promise<OverviewView> {
    this.keepSampling();
    if (this.latest && performance.now() - this.latest.at < this.sampleMs) return this.latest.overview;
    return this.sample();
  }

  /** After an admin changed something: the next caller gets a fresh sample. */
  forget(): void {
    this.latest = undefined;
    this.sampling = undefined;
    this.epoch++;
  }

  /** Called with every rebuild message a listener hears, so snapshots never lag behind it. */
  heardProgress(message: RebuildProgress): void {
    if (!message.id) return;
    const key = `${message.context}/${message.projection}`;
    this.heard.set(key, fresher(this.heard.get(key), message)!);
  }

  private keepSampling(): void {
    this.lastInterest = performance.now();
    this.listening ??= this.listen();
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (performance.now() - this.lastInterest > idleAfterMs) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      this.sample().catch((error) => this.log.debug({ err: (error as Error).message }, 'projection sample failed'));
    }, this.sampleMs);
    this.timer.unref();
  }

  private async listen(): Promise<void> {
    for (const name of this.runtime.contexts.keys()) {
      await this.runtime.bus.subscribe(channels.rebuild(name), (message) => this.heardProgress(message as RebuildProgress));
    }
  }

  private sample(): Promise<OverviewView> {
    if (this.sampling) return this.sampling;
    const sampling = this.read().finally(() => {
      if (this.sampling === sampling) this.sampling = undefined;
    });
    this.sampling = sampling;
    return sampling;
  }

  private async read(): Promise<OverviewView> {
    await this.listening;
    const epoch = this.epoch;
    const stats = await this.runtime.stats();
    const at = performance.now();
    const contexts = await Promise.all(
      [...this.runtime.contexts.values()].map(async (context) => {
        const contextStats = stats.find((s) => s.name === context.name);
        const letters = await context.deadLetters();
        const projections = await Promise.all(
          context.definition.projections.map((definition) =>
            this.project(context, definition.name, definition.source ?? context.name, contextStats, letters, at),
          ),
        );
        return {
          name: context.name,
          title: context.definition.title ?? context.name,
          feedHead: contextStats?.feedHead ?? 0,
          relayLagMs: contextStats?.relayLag ?? 0,
          ...(contextStats?.relayWorker ? { relayWorker: contextStats.relayWorker } : {}),
          ...(contextStats?.partitions ? { partitions: contextStats.partitions } : {}),
          ...(contextStats?.mergerWorker ? { mergerWorker: contextStats.mergerWorker } : {}),
          projections,
        };
      }),
    );
    const overview = { at: new Date().toISOString(), contexts };
    if (epoch === this.epoch) this.latest = { overview, at };
    return overview;
  }

  private async project(
    context: ContextRuntime,
    name: string,
    source: string,
    contextStats: ContextStats | undefined,
    letters: { projection: string; state: string }[],
    at: number,
  ): Promise<ProjectionView> {
    const stats: ProjectionStats = contextStats?.projections.find((p) => p.name === name) ?? { name, checkpoint: 0, lag: 0, lagSeconds: 0, stalled: false, state: 'standby', deadLetters: 0 };
    const container = await this.runtime.storage.container(context.name);
    const [saved, leased, stored] = await Promise.all([
      new BlobLease(container, `projection-${name}`).read<{ seq?: number; generation?: number }>(),
      container
        .getBlockBlobClient(leaseBlob(name))
        .getProperties()
        .then((properties) => properties.leaseState === 'leased', () => false),
      context.rebuilds.status(name),
    ]);
    const key = `${context.name}/${name}`;
    const record = stored ? { ...stored, context: context.name } : undefined;
    const rebuild = fresher(record, this.heard.get(key)) ?? null;
    return {
      context: context.name,
      name,
      source,
      checkpoint: stats.checkpoint,
      lag: stats.lag,
      lagSeconds: stats.lagSeconds,
      stalled: stats.stalled,
      eventsPerSecond: this.rate(key, stats.checkpoint, at),
      state: stateOf(stats, rebuild, leased),
      generation: saved?.generation ?? 0,
      // A partitioned projection's letters name their runner (`name~p2`).
      deadLetters: letters.filter((l) => parseRunnerKey(l.projection).projection === name && (l.state === 'parked' || l.state === 'retry-requested')).length,
      rebuild: rebuild as RebuildView | null,
      ...(stats.error !== undefined ? { error: stats.error } : {}),
      ...(stats.worker !== undefined && stats.state !== 'standby' ? { worker: stats.worker } : {}),
      ...(stats.partitions ? { partitions: stats.partitions } : {}),
    };
  }

  /** Checkpoint progress per second over the last few samples. */
  private rate(key: string, checkpoint: number, at: number): number {
    const samples = (this.history.get(key) ?? []).filter((s) => at - s.at <= rateWindowMs && s.checkpoint <= checkpoint);
    samples.push({ at, checkpoint });
    this.history.set(key, samples);
    const first = samples[0]!;
    const seconds = (at - first.at) / 1000;
    return seconds < 0.5 ? 0 : Math.round(((checkpoint - first.checkpoint) / seconds) * 10) / 10;
  }
}

function stateOf(stats: ProjectionStats, rebuild: RebuildProgress | null, leased: boolean): ProjectionView['state'] {
  if (rebuildBusy(rebuild)) return 'rebuilding';
  if (stats.state === 'failed') return 'failed';
  // Behind and not moving, whoever holds it (or nobody does): the alert an admin must see.
  if (stats.stalled) return 'stalled';
  if (stats.state === 'live' || stats.state === 'catching-up') return stats.state;
  // Standby here; a worker in another process may hold the lease and run it.
  if (!leased) return 'standby';
  return stats.lag > catchingUpAfter ? 'catching-up' : 'live';
}

/** Of two views of one rebuild, the one further along (a newer rebuild wins outright). */
function fresher(stored: RebuildProgress | undefined, heard: RebuildProgress | undefined): RebuildProgress | undefined {
  if (!stored || !heard) return stored ?? heard;
  if (stored.id !== heard.id) return heard.requestedAt > stored.requestedAt ? heard : stored;
  if (rank[heard.state] !== rank[stored.state]) return rank[heard.state] > rank[stored.state] ? heard : stored;
  return (heard.done ?? 0) > (stored.done ?? 0) ? heard : stored;
}
