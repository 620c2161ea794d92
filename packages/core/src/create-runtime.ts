import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { channels, type Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory-bus.ts';
import { RedisBus, type RedisBusOptions } from './bus/redis-bus.ts';
import { loadCoreConfig } from './config.ts';
import type { ContextRuntime } from './context/context-runtime.ts';
import { LocalContext } from './context/local-context.ts';
import { PublishedContracts } from './contracts/publish.ts';
import { createLogger } from './logger.ts';
import { ProjectionRunner, type ProjectionCheckpoint } from './projection/runner.ts';
import { runnerKeys } from './projection/runner-keys.ts';
import { tableViewStore, type ViewStore } from './projection/view-buffer.ts';
import { mergerLeaseName, relayLeaseName, settleFeedLayout, type FeedLayout } from './relay/layout.ts';
import { Merger } from './relay/merger.ts';
import { ProcessRunner } from './process/process-runner.ts';
import { FeedFollower } from './reaction/feed-follower.ts';
import { defaultStallAfterMs, LagWatch } from './lag/index.ts';
import { reactionActor } from './reaction/reaction-runner.ts';
import { Relay, type FeedNotice } from './relay/relay.ts';
import { defaultStoreTuning, Storage, statusOf } from './store/storage.ts';
import type { ContextStats, Health, Runtime, RuntimeOptions, Tuning } from './runtime.ts';
import { beatEveryMs, beatKey, beatTtlSeconds, contextStats, mergerWorker, relayBeat, type FeedWorkers, type ProjectionWorker, type StatsSources, type WorkerBeat } from './runtime-stats.ts';
import { ApplyRecorder } from './journey/apply-log.ts';
import { BlobLease } from './worker/blob-lease.ts';
import { WorkerGroup } from './worker/group.ts';
import { LeasedLoop } from './worker/leased-loop.ts';

const defaultTuning: Tuning = {
  ...defaultStoreTuning,
  relaySweepMs: 5000,
  relayIdleMs: 1000,
  projectionIdleMs: 2000,
  checkpointMs: 1000,
  leaseSeconds: 15,
  redisCommandTimeoutMs: 2000,
};

/** Connects storage and the bus, creates tables, and starts relays and projections. */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const config = options.config ?? loadCoreConfig();
  const log = options.logger ?? createLogger(config.LOG_LEVEL);
  const tuning: Tuning = { ...defaultTuning, ...options.tuning };
  const bus =
    options.bus ??
    (await connectBus(config.REDIS_URL, log, options.busNamespace ?? busNamespace(config.AZURE_STORAGE_CONNECTION_STRING, config.EVENTLOOM_PREFIX), { commandTimeoutMs: tuning.redisCommandTimeoutMs }));
  const mode = bus.kind === 'redis' ? 'redis' : 'single-process';
  const storage = new Storage(config.AZURE_STORAGE_CONNECTION_STRING, config.EVENTLOOM_PREFIX, tuning, options.clock);

  const lag = new LagWatch({
    ...(options.clock ? { now: options.clock } : {}),
    stallAfterMs: tuning.stallAfterMs ?? (config.EVENTLOOM_STALL_AFTER_SECONDS !== undefined ? config.EVENTLOOM_STALL_AFTER_SECONDS * 1000 : defaultStallAfterMs),
  });
  const checkpointOf = async (context: string, projection: string) =>
    (await new BlobLease(await storage.container(context), `projection-${projection}`).read<ProjectionCheckpoint>())?.seq ?? 0;

  const contexts = new Map<string, LocalContext>();
  for (const definition of options.contexts) {
    if (contexts.has(definition.name)) throw new Error(`context ${definition.name} is mounted twice`);
    contexts.set(definition.name, new LocalContext(definition, storage, bus, log, (projection) => checkpointOf(definition.name, projection), options.clock));
  }
  await Promise.all([...contexts.values()].map((c) => c.ready()));
  // Process managers send commands to any mounted context.
  for (const context of contexts.values()) {
    for (const definition of context.definition.processes ?? []) {
      context.processes.set(
        definition.name,
        new ProcessRunner({
          definition,
          store: context.store,
          pending: storage.table(context.name, 'ProcessPending'),
          target: (name) => {
            const target = contexts.get(name);
            if (!target) throw new Error(`process ${definition.name} sends to context ${name}, which is not mounted here`);
            return target;
          },
          log: context.log,
          // Timers are due on the storage service's clock when this process's is off (see ServerTime).
          clock: () => storage.serverTime.now(),
          ...(tuning.processQuietMs !== undefined ? { quietMs: tuning.processQuietMs } : {}),
        }),
      );
    }
  }
  await Promise.all([...contexts.values()].map((c) => c.progress.listen(bus)));

  const feeds = new Map<string, FeedWorkers>();
  const allRelays = () => [...feeds.values()].flatMap((f) => f.relays);
  const mergers = () => [...feeds.values()].flatMap((f) => (f.merger ? [f.merger] : []));
  const projections: ProjectionWorker[] = [];
  const processLoops: { runner: ProcessRunner<unknown, unknown>; loop: LeasedLoop }[] = [];
  let assisting: NodeJS.Timeout | undefined;
  /** Reactions to other contexts' published events, each a leased loop over its source's feed. */
  const reactions: { source: string; runner: FeedFollower; loop: LeasedLoop }[] = [];
  let beats: NodeJS.Timeout | undefined;
  /** Wakes the projections of a source that have not reached its head yet. */
  const wakeProjections = (source: string, head: number) => {
    for (const p of projections) if (p.source === source && p.partition === undefined) told(p, head);
    for (const r of reactions) if (r.source === source) told(r, head);
  };
  /** Wakes the runners of partitioned projections of a feed partition that have not reached its head yet. */
  const wakePartition = (context: string, notice: FeedNotice) => {
    const partition = notice.partition ?? 0;
    for (const p of projections) if (p.context === context && p.partition === partition) told(p, notice.head);
  };
  /** A reader hears of a head; woken only when it has not reached it (a second notice of one head reads nothing). */
  const told = (reader: { runner: ProjectionRunner | FeedFollower; loop: LeasedLoop }, head: number) => {
    reader.runner.told(head);
    if (reader.runner.checkpoint < head) reader.loop.wake();
  };
  const unsubscribe: (() => Promise<void>)[] = [];

  // Worker processes on one store share the leases fairly and take over from a gone one at once.
  const group = (options.workers ?? true) && bus.redis ? new WorkerGroup(bus, { log }) : undefined;
  const workerId = group?.id ?? 'single-process';
  const loopOptions = (idleMs: number, log: Logger) => ({ idleMs, log, group });
  /** Feed readers skip a look within half their idle poll when told of nothing new (relay/told-head.ts). */
  const askFreshMs = tuning.projectionIdleMs / 2;

  if (options.workers ?? true) {
    // Each store's feed must be laid out as its definition asks (grown if need be) before anything is placed.
    const layouts = new Map<string, FeedLayout>();
    try {
      for (const context of contexts.values()) {
        const partitionedProjections = context.definition.projections.filter((p) => p.partitioned).map((p) => p.name);
        layouts.set(
          context.name,
          await settleFeedLayout({ context: context.name, storage, store: context.store, bus, log: context.log, leaseSeconds: tuning.leaseSeconds, partitionedProjections }, context.partitions.length),
        );
      }
    } catch (error) {
      await Promise.all([...contexts.values()].map((c) => c.progress.close()));
      if (!options.bus) await bus.close();
      throw error;
    }
    await group?.start();
    for (const context of contexts.values()) {
      const container = await storage.container(context.name);
      const workers: FeedWorkers = { relays: [] };
      feeds.set(context.name, workers);
      const merged = context.merged;
      if (merged) {
        const lease = new BlobLease(container, mergerLeaseName, tuning.leaseSeconds);
        const merger = new Merger(
          { feed: merged, lease, bus, log: context.log },
          {
            checkpointMs: tuning.checkpointMs,
            onPlaced: (notice) => {
              context.progress.onFeed(notice);
              wakeProjections(context.name, notice.head);
            },
          },
        );
        workers.merger = { merger, loop: new LeasedLoop(lease, merger, loopOptions(tuning.relayIdleMs, context.log)) };
        // Partition relays elsewhere placed entries: merge them (and apply them, per partition).
        unsubscribe.push(
          await bus.subscribe(channels.placed(context.name), (message) => {
            workers.merger!.loop.wake();
            wakePartition(context.name, message as FeedNotice);
          }),
        );
      }
      const layout = layouts.get(context.name)!;
      for (const feed of context.partitions) {
        // The loop and the relay share one lease: the relay checks it before each write.
        const lease = new BlobLease(container, relayLeaseName(feed.partition), tuning.leaseSeconds);
        // This process's projections, waiters (and merger) hear of placed entries directly;
        // the bus notice that follows tells everyone else (and is ignored here once applied).
        const relay = new Relay(
          { store: context.store, feed, lease, bus, log: context.log },
          {
            sweepMs: tuning.relaySweepMs,
            checkpointMs: tuning.checkpointMs,
            partition: { index: feed.partition, of: context.partitions.length },
            pristineNever: layout.before.length > 0,
            // A long placement lands a transaction at a time: the merger may take each at once.
            ...(workers.merger ? { onFlushed: () => workers.merger!.loop.wake() } : {}),
            onPlaced: (notice) => {
              if (workers.merger) {
                workers.merger.loop.wake();
                context.progress.onPlaced(notice);
                return wakePartition(context.name, notice);
              }
              context.progress.onFeed(notice);
              wakeProjections(context.name, notice.head);
              wakePartition(context.name, notice);
            },
          },
        );
        workers.relays.push({ relay, loop: new LeasedLoop(lease, relay, loopOptions(tuning.relayIdleMs, context.log)) });
      }
      unsubscribe.push(
        // Hints travel in the commit logs; the channel only wakes the relays.
        await bus.subscribe(channels.committed(context.name), () => {
          for (const { loop } of workers.relays) loop.wake();
        }),
      );
      for (const definition of context.definition.projections) {
        const source = definition.source ?? context.name;
        const sourceContext = contexts.get(source);
        // How the source's feed is laid out (its partitions) is in its definition.
        if (!sourceContext) throw new Error(`projection ${context.name}.${definition.name} reads context ${source}, which is not mounted here: mount it too`);
        if (definition.partitioned && sourceContext !== context) throw new Error(`projection ${context.name}.${definition.name} is partitioned and reads context ${source}: a partitioned projection reads its own context's feed`);
        // Another context's feed is read through its published contracts: the contract types it names, their data.
        const foreign = sourceContext === context ? undefined : publishedOf(`projection ${context.name}.${definition.name}`, sourceContext, definition.handles);
        // A partitioned projection: a runner (and lease) per feed partition, each over its partition.
        for (const [p, key] of runnerKeys(definition, context.partitions.length).entries()) {
          const lease = new BlobLease(container, `projection-${key}`, tuning.leaseSeconds);
          const runner = new ProjectionRunner({
            context: context.name,
            definition,
            ...(definition.partitioned ? { key, partition: { index: p, of: context.partitions.length }, feed: context.partitions[p]! } : { feed: sourceContext.feed }),
            viewsFor: async (generation) => {
              const views = new Map<string, ViewStore>();
              for (const table of definition.tables) views.set(table, tableViewStore(await context.viewTable(table, generation)));
              return views;
            },
            dropGeneration: (generation) => context.dropViewGeneration(definition.tables, generation),
            container: () => storage.container(context.name),
            deadLetters: await storage.table(context.name, 'DeadLetters'),
            lease,
            bus,
            log: context.log,
            ...(foreign ? { handles: foreign.sourceTypes(definition.handles) } : {}),
            upcast: foreign ? (entry) => foreign.toPublished(entry) : (entry) => sourceContext.upcast(entry),
            onChanged: (change) => context.progress.onView(change),
            checkpointMs: tuning.checkpointMs,
            askFreshMs,
            // An event's journey names its own context's projections.
            ...(sourceContext === context ? { applied: new ApplyRecorder(context.applyLog, key, context.log) } : {}),
          });
          const loop = new LeasedLoop(lease, runner, loopOptions(tuning.projectionIdleMs, context.log));
          runner.wakeLoop = () => loop.wake();
          projections.push({ context: context.name, source, ...(definition.partitioned ? { partition: p } : {}), runner, loop });
        }
      }
    }
    for (const context of contexts.values()) {
      const container = await storage.container(context.name);
      for (const runner of context.processes.values()) {
        const lease = new BlobLease(container, `process-${runner.definition.name}`, tuning.leaseSeconds);
        processLoops.push({ runner: runner as ProcessRunner<unknown, unknown>, loop: new LeasedLoop(lease, runner, loopOptions(tuning.processIdleMs ?? 1000, context.log)) });
        // Other contexts' published events it takes as inputs: a follower per source feed.
        for (const listen of runner.definition.listens ?? []) {
          const source = contexts.get(listen.source);
          if (!source) {
            context.log.warn({ process: runner.definition.name, source: listen.source }, `process ${runner.definition.name} hears nothing of ${listen.source} here: it is not mounted in this process`);
            continue;
          }
          const published = publishedOf(`process ${context.name}.${runner.definition.name}`, source, listen.events);
          const followLease = new BlobLease(container, `process-${runner.definition.name}-${listen.source}`, tuning.leaseSeconds);
          const follower = new FeedFollower({
            name: `process ${runner.definition.name} (events of ${listen.source})`,
            types: published.sourceTypes(listen.events),
            feed: source.feed,
            upcast: (entry) => published.toPublished(entry),
            act: async (entry) => {
              const instance = listen.instance(entry);
              return instance !== undefined && (await runner.deliver(instance, entry));
            },
            lease: followLease,
            log: context.log,
            askFreshMs,
          });
          reactions.push({ source: listen.source, runner: follower, loop: new LeasedLoop(followLease, follower, loopOptions(tuning.projectionIdleMs, context.log)) });
        }
      }
    }
    for (const context of contexts.values()) {
      const container = await storage.container(context.name);
      for (const definition of context.definition.reactions ?? []) {
        const source = contexts.get(definition.source);
        if (!source) {
          // A process that mounts only some contexts (a test, a split deployment) leaves it to one that mounts both.
          context.log.warn({ reaction: definition.name, source: definition.source }, `reaction ${context.name}.${definition.name} does not run here: context ${definition.source} is not mounted in this process`);
          continue;
        }
        const published = publishedOf(`reaction ${context.name}.${definition.name}`, source, definition.events);
        const lease = new BlobLease(container, `reaction-${definition.name}`, tuning.leaseSeconds);
        const target = (name: string) => {
          const found = contexts.get(name);
          if (!found) throw new Error(`reaction ${definition.name} sends to context ${name}, which is not mounted here`);
          return found;
        };
        const runner = new FeedFollower({
          name: `reaction ${definition.name}`,
          types: published.sourceTypes(definition.events),
          feed: source.feed,
          upcast: (entry) => published.toPublished(entry),
          act: reactionActor(definition, context.name, target, context.log),
          lease,
          log: context.log,
          askFreshMs,
        });
        reactions.push({ source: definition.source, runner, loop: new LeasedLoop(lease, runner, loopOptions(tuning.projectionIdleMs, context.log)) });
      }
    }
    const sources = new Set([...projections.map((p) => p.source), ...reactions.map((r) => r.source)]);
    for (const source of sources) {
      unsubscribe.push(
        await bus.subscribe(channels.feed(source), (message) => {
          wakeProjections(source, (message as FeedNotice).head);
          // An unpartitioned feed's notice is its one partition's.
          if ((contexts.get(source)?.partitions.length ?? 0) === 1) wakePartition(source, message as FeedNotice);
        }),
      );
    }
    for (const context of contexts.values()) {
      unsubscribe.push(
        await bus.subscribe(channels.rebuild(context.name), (message) => {
          const { projection, state } = message as { projection: string; state: string };
          if (state !== 'requested' && state !== 'cancel-requested' && state !== 'retry-requested') return;
          for (const worker of projections.filter((p) => p.context === context.name && p.runner.name === projection)) {
            worker.runner.wakeRequests();
            worker.loop.wake();
          }
        }),
      );
    }
    for (const loop of [...allRelays(), ...mergers(), ...projections, ...reactions, ...processLoops].map((w) => w.loop)) {
      group?.join(loop);
      loop.start();
    }
    beats = setInterval(() => void beat(), beatEveryMs);
    beats.unref();
    // A worker that does not hold a process's sweep still fires what is overdue (its holder may be dead).
    if (processLoops.length > 0) {
      let busy = false;
      assisting = setInterval(() => {
        if (busy) return;
        busy = true;
        void Promise.all(processLoops.filter(({ loop }) => loop.state !== 'active').map(({ runner }) => runner.assist(tuning.processOverdueMs ?? 2000)))
          .catch((error: Error) => log.warn({ err: error.message }, 'overdue process work not advanced; trying again'))
          .finally(() => (busy = false));
      }, 1000);
      assisting.unref();
    }
  }

  /** Tells other processes about the loops this one holds or fails at. */
  async function beat(): Promise<void> {
    const state = (loop: LeasedLoop) => (loop.lastError !== undefined ? 'failed' : 'active');
    const writes: Promise<void>[] = [];
    for (const [name, { relays, merger }] of feeds) {
      for (const { relay, loop } of relays) {
        if (!loop.engaged) continue;
        const value: WorkerBeat = { state: state(loop), worker: workerId, head: relay.head, lagMs: relay.lastLagMs, ...(loop.lastError ? { error: loop.lastError } : {}) };
        writes.push(bus.remember(beatKey(name, relayBeat(relay.partition.index)), value, beatTtlSeconds));
      }
      if (merger?.loop.engaged) {
        const value: WorkerBeat = { state: state(merger.loop), worker: workerId, head: merger.merger.head, ...(merger.loop.lastError ? { error: merger.loop.lastError } : {}) };
        writes.push(bus.remember(beatKey(name, mergerWorker), value, beatTtlSeconds));
      }
    }
    for (const { context, runner, loop } of projections) {
      if (!loop.engaged) continue;
      const value: WorkerBeat = { state: state(loop), worker: workerId, checkpoint: runner.checkpoint, deadLetters: runner.deadLetterCount, ...(loop.lastError ? { error: loop.lastError } : {}) };
      writes.push(bus.remember(beatKey(context, runner.key), value, beatTtlSeconds));
    }
    await Promise.all(writes);
  }

  log.info({ mode, contexts: [...contexts.keys()], workers: options.workers ?? true }, 'runtime started');

  const runtime: Runtime = {
    mode,
    bus,
    log,
    storage,
    workers: options.workers ?? true,
    ...(group ? { workerGroup: group } : {}),
    contexts: contexts as ReadonlyMap<string, ContextRuntime>,
    context(name) {
      const context = contexts.get(name);
      if (!context) throw new Error(`no context named ${name} is mounted`);
      return context;
    },
    async health(): Promise<Health> {
      const started = performance.now();
      // Both at once, each bounded: a hung dependency makes /health say so, not hang.
      const [storageHealth, redisOk] = await Promise.all([
        storage.ping().then(
          () => ({ ok: true, latencyMs: Math.round(performance.now() - started) }),
          (error: Error) => ({ ok: false, error: error.message }),
        ),
        bus instanceof RedisBus ? bus.ping() : true,
      ]);
      const redis = { ok: redisOk, mode, ...(redisOk ? {} : { error: 'Redis does not answer' }) } as Health['redis'];
      return { ok: storageHealth.ok && redisOk, storage: storageHealth, redis };
    },
    async stats(): Promise<ContextStats[]> {
      const sources: StatsSources = { bus, workerId, feeds, projections, contexts, checkpointOf, lag };
      return Promise.all([...contexts.values()].map((context) => contextStats(sources, context)));
    },
    counters() {
      const appends: Record<string, number> = {};
      const appendedEvents: Record<string, number> = {};
      for (const context of contexts.values()) {
        appends[context.name] = context.counters.appends;
        appendedEvents[context.name] = context.counters.events;
      }
      return { appends, appendedEvents };
    },
    footprint() {
      return {
        relays: [...feeds].flatMap(([context, { relays }]) => relays.map(({ relay, loop }) => ({ context, partition: relay.partition.index, active: loop.state === 'active', ...relay.footprint }))),
        projections: projections.map(({ context, runner, loop, partition }) => ({ context, name: runner.name, ...(partition !== undefined ? { partition } : {}), active: loop.state === 'active', ...runner.footprint })),
        mergers: [...feeds].flatMap(([context, { merger }]) => (merger ? [{ context, active: merger.loop.state === 'active', head: merger.merger.head }] : [])),
      };
    },
    async seed() {
      const seeded: string[] = [];
      for (const context of contexts.values()) {
        if (!context.definition.seed) continue;
        const claim = (await storage.container(context.name)).getBlockBlobClient('seeded.json');
        const body = JSON.stringify({ at: new Date().toISOString() });
        try {
          await claim.upload(body, body.length, { conditions: { ifNoneMatch: '*' } });
        } catch (error) {
          if (statusOf(error) === 409 || statusOf(error) === 412) continue;
          throw error;
        }
        try {
          await context.definition.seed(context);
          seeded.push(context.name);
          log.info({ context: context.name }, 'demo data seeded');
        } catch (error) {
          await claim.delete().catch(() => undefined);
          throw error;
        }
      }
      return seeded;
    },
    async close() {
      clearInterval(beats);
      clearInterval(assisting);
      await Promise.all(unsubscribe.map((stop) => stop()));
      const held = [
        ...projections.filter((p) => p.loop.state === 'active').map((p) => beatKey(p.context, p.runner.key)),
        ...[...feeds].flatMap(([name, { relays }]) => relays.filter((r) => r.loop.state === 'active').map((r) => beatKey(name, relayBeat(r.relay.partition.index)))),
        ...[...feeds].filter(([, f]) => f.merger?.loop.state === 'active').map(([name]) => beatKey(name, mergerWorker)),
      ];
      await Promise.all([
        ...projections.map((p) => p.loop.stop()),
        ...reactions.map((r) => r.loop.stop()),
        ...allRelays().map((r) => r.loop.stop()),
        ...mergers().map((m) => m.loop.stop()),
        ...processLoops.map(({ loop }) => loop.stop()),
      ]);
      await group?.stop();
      // Gone now: say so rather than let the last word linger until it expires.
      await Promise.all(held.map((key) => bus.remember(key, null, 1)));
      await Promise.all([...contexts.values()].map((c) => c.progress.close()));
      if (!options.bus) await bus.close();
    },
  };
  return runtime;
}

/**
 * What a reaction, a process or a projection reads of another context must be in that
 * context's published contracts; it reads contract types (a mapping that fails stops it,
 * to be retried, rather than skip the event).
 */
function publishedOf(who: string, source: LocalContext, events: string[]): PublishedContracts {
  const published = new PublishedContracts(source.definition);
  const unpublished = events.filter((type) => !published.types.has(type));
  if (unpublished.length > 0) throw new Error(`${who} reacts to ${unpublished.join(', ')}, which ${source.name} does not publish`);
  return published;
}

/**
 * Runtimes share a Redis only when they share a store: the namespace names the storage
 * account (its connection string, less the key) and the prefix. Otherwise a relay could
 * take another store's commit hints for its own.
 */
export function busNamespace(connectionString: string, prefix: string): string {
  const account = connectionString
    .split(';')
    .filter((part) => part && !/^AccountKey=|^SharedAccessSignature=/i.test(part))
    .sort()
    .join(';');
  return `${prefix}:${createHash('sha256').update(account).digest('hex').slice(0, 12)}`;
}

/** Redis when it answers; otherwise one process, said once. */
async function connectBus(url: string, log: Logger, namespace: string, options: RedisBusOptions): Promise<Bus> {
  if (process.env.EVENTLOOM_MODE === 'single-process') return new MemoryBus();
  try {
    return await RedisBus.connect(url, log, namespace, options);
  } catch (error) {
    log.warn({ redis: url, err: (error as Error).message }, 'Redis does not answer: running single-process (in-process bus; run workers in this process only)');
    return new MemoryBus();
  }
}
