import type { Bus } from './bus/bus.ts';
import type { LocalContext } from './context/local-context.ts';
import { placedAt, type LagWatch } from './lag/index.ts';
import type { ProjectionDefinition } from './projection/define-projection.ts';
import type { ProjectionRunner } from './projection/runner.ts';
import { runnerKeys } from './projection/runner-keys.ts';
import type { FeedReader } from './relay/feed.ts';
import type { Merger } from './relay/merger.ts';
import type { Relay } from './relay/relay.ts';
import type { ContextStats, PartitionStats, ProjectionStats } from './runtime.ts';
import type { LeasedLoop } from './worker/leased-loop.ts';

/*
 * What a runtime says about its contexts' loops (`runtime.stats()`): each loop held
 * here, else what its worker process last said (its beat), else what it saved.
 */

export interface RelayWorker {
  relay: Relay;
  loop: LeasedLoop;
}

/** The loops that write one context's feed: a relay per partition, and a merger when there are several. */
export interface FeedWorkers {
  relays: RelayWorker[];
  merger?: { merger: Merger; loop: LeasedLoop };
}

export interface ProjectionWorker {
  context: string;
  source: string;
  /** A partitioned projection's runner: the feed partition it applies. */
  partition?: number;
  runner: ProjectionRunner;
  loop: LeasedLoop;
}

/**
 * What a worker process says about the loops it runs (or keeps failing to run), so
 * a gateway without workers can tell live from failed from nobody there.
 */
export interface WorkerBeat {
  state: 'active' | 'failed';
  error?: string;
  /** Projection: live checkpoint and parked events. */
  checkpoint?: number;
  deadLetters?: number;
  /** Relay: feed (or partition) head and the last commit-to-feed lag; merger: merged head. */
  head?: number;
  lagMs?: number;
  /** The worker process that holds it (its worker group id, or `single-process`). */
  worker?: string;
}

export const beatEveryMs = 2000;
export const beatTtlSeconds = 6;
export const beatKey = (context: string, worker: string) => `eventloom:worker:${context}:${worker}`;
export const relayWorker = '~relay';
/** Beat names of a partition's relay (partition 0 keeps the unpartitioned feed's). */
export const relayBeat = (partition: number) => (partition === 0 ? relayWorker : `${relayWorker}-p${partition}`);
export const mergerWorker = '~merger';

/** What the stats of one context read: the loops of this process and the bus's beats. */
export interface StatsSources {
  bus: Bus;
  workerId: string;
  feeds: Map<string, FeedWorkers>;
  projections: ProjectionWorker[];
  contexts: Map<string, LocalContext>;
  checkpointOf: (context: string, projection: string) => Promise<number>;
  /** Remembers each runner's checkpoint between looks: time lag and stalls. */
  lag: LagWatch;
}

/** One context's stats: its feed (each partition and the merger) and each projection (each partition's runner). */
export async function contextStats(sources: StatsSources, context: LocalContext): Promise<ContextStats> {
  const { bus, workerId, feeds, projections, contexts, checkpointOf, lag } = sources;
  const local = feeds.get(context.name);
  // Each partition's relay: here, or what its worker says.
  const partitions = await Promise.all(
    context.partitions.map(async (feed): Promise<PartitionStats> => {
      const here = local?.relays[feed.partition];
      if (here?.loop.engaged) return { partition: feed.partition, head: here.relay.head, lagMs: here.relay.lastLagMs, worker: workerId };
      const beat = await bus.recall<WorkerBeat | null>(beatKey(context.name, relayBeat(feed.partition)));
      return { partition: feed.partition, head: beat?.head ?? 0, lagMs: beat?.lagMs ?? 0, ...(beat?.worker ? { worker: beat.worker } : {}) };
    }),
  );
  const mergerHere = local?.merger?.loop.engaged ? local.merger.merger : undefined;
  const mergerBeat = context.merged && !mergerHere ? await bus.recall<WorkerBeat | null>(beatKey(context.name, mergerWorker)) : undefined;
  const placedHead = context.merged ? (mergerHere?.head ?? mergerBeat?.head ?? 0) : partitions[0]!.head;
  const head = placedHead || context.progress.head || (await context.feed.head());
  /** One runner's standing: here, or what its worker says, else what it saved; and how long its oldest pending entry has waited. */
  const standingOf = async (definition: ProjectionDefinition, key: string, sourceHead: number, feed: FeedReader): Promise<ProjectionStats> => {
    const worker = projections.find((p) => p.context === context.name && p.runner.key === key);
    const standing = async (checkpoint: number, failed: string | undefined, deadLetters: number, holder?: string): Promise<ProjectionStats> => {
      const { lagSeconds, stalled } = await lag.look(`${context.name}/${key}`, checkpoint, sourceHead, (seq) => placedAt(feed, seq));
      return {
        name: definition.name,
        checkpoint,
        lag: Math.max(0, sourceHead - checkpoint),
        lagSeconds,
        stalled,
        state: failed !== undefined ? 'failed' : sourceHead - checkpoint > 500 ? 'catching-up' : 'live',
        deadLetters,
        ...(failed !== undefined ? { error: failed } : {}),
        ...(holder !== undefined ? { worker: holder } : {}),
      };
    };
    if (worker?.loop.engaged) return standing(worker.runner.checkpoint, worker.loop.lastError, worker.runner.deadLetterCount, workerId);
    const [saved, beat] = await Promise.all([checkpointOf(context.name, key), bus.recall<WorkerBeat | null>(beatKey(context.name, key))]);
    const checkpoint = Math.max(saved, context.progress.projectionCheckpoint(key), beat?.checkpoint ?? 0);
    if (!beat) return { ...(await standing(checkpoint, undefined, 0)), state: 'standby' };
    return standing(checkpoint, beat.state === 'failed' ? (beat.error ?? 'failed') : undefined, beat.deadLetters ?? 0, beat.worker);
  };
  const stats = await Promise.all(
    context.definition.projections.map(async (definition): Promise<ProjectionStats> => {
      const source = definition.source && definition.source !== context.name ? contexts.get(definition.source) : undefined;
      if (!definition.partitioned) {
        const sourceHead = (source ? source.progress.head : head) ?? head;
        const standing = await standingOf(definition, definition.name, sourceHead, (source ?? context).feed);
        return source ? { ...standing, source: source.name } : standing;
      }
      // Per partition (each against its partition's head), and summed.
      const keys = runnerKeys(definition, context.partitions.length);
      const each = await Promise.all(keys.map((key, p) => standingOf(definition, key, partitions[p]!.head, context.partitions[p]!)));
      return summed(definition.name, each);
    }),
  );
  const relayHolder = partitions[0]!.worker;
  const mergerHolder = mergerHere ? workerId : mergerBeat?.worker;
  return {
    name: context.name,
    feedHead: head,
    relayLag: Math.max(...partitions.map((p) => p.lagMs)),
    ...(relayHolder ? { relayWorker: relayHolder } : {}),
    ...(context.merged ? { partitions, ...(mergerHolder ? { mergerWorker: mergerHolder } : {}) } : {}),
    projections: stats,
  };
}

/** A partitioned projection as a whole: positions and lags added up, the oldest wait, the worst state, and each partition's. */
function summed(name: string, each: ProjectionStats[]): ProjectionStats {
  const rank: ProjectionStats['state'][] = ['live', 'catching-up', 'standby', 'failed'];
  const worst = each.reduce((state, p) => (rank.indexOf(p.state) > rank.indexOf(state) ? p.state : state), 'live' as ProjectionStats['state']);
  const error = each.find((p) => p.error !== undefined)?.error;
  return {
    name,
    checkpoint: each.reduce((sum, p) => sum + p.checkpoint, 0),
    lag: each.reduce((sum, p) => sum + p.lag, 0),
    lagSeconds: Math.max(...each.map((p) => p.lagSeconds)),
    stalled: each.some((p) => p.stalled),
    state: worst,
    deadLetters: each.reduce((sum, p) => sum + p.deadLetters, 0),
    ...(error !== undefined ? { error } : {}),
    ...(each[0]!.worker !== undefined ? { worker: each[0]!.worker } : {}),
    partitions: each.map(({ name: _name, partitions: _partitions, ...standing }, partition) => ({ partition, ...standing })),
  };
}
