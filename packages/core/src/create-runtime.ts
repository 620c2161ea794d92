import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { channels, type Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory-bus.ts';
import { RedisBus } from './bus/redis-bus.ts';
import { loadCoreConfig } from './config.ts';
import type { ContextRuntime } from './context/context-runtime.ts';
import { LocalContext } from './context/local-context.ts';
import { createLogger } from './logger.ts';
import { ProjectionRunner, type ProjectionCheckpoint } from './projection/runner.ts';
import { tableViewStore, type ViewStore } from './projection/view-buffer.ts';
import { Feed } from './relay/feed.ts';
import { Relay, type FeedNotice } from './relay/relay.ts';
import { Storage, statusOf } from './store/storage.ts';
import type { ContextStats, Health, Runtime, RuntimeOptions } from './runtime.ts';
import { BlobLease } from './worker/blob-lease.ts';
import { LeasedLoop } from './worker/leased-loop.ts';

interface RelayWorker {
  relay: Relay;
  loop: LeasedLoop;
}

interface ProjectionWorker {
  context: string;
  source: string;
  runner: ProjectionRunner;
  loop: LeasedLoop;
}

/** Connects storage and the bus, creates tables, and starts relays and projections. */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const config = options.config ?? loadCoreConfig();
  const log = options.logger ?? createLogger(config.LOG_LEVEL);
  const bus = options.bus ?? (await connectBus(config.REDIS_URL, log, busNamespace(config.AZURE_STORAGE_CONNECTION_STRING, config.EVENTLOOM_PREFIX)));
  const mode = bus.kind === 'redis' ? 'redis' : 'single-process';
  const storage = new Storage(config.AZURE_STORAGE_CONNECTION_STRING, config.EVENTLOOM_PREFIX);

  const checkpointOf = async (context: string, projection: string) =>
    (await new BlobLease(await storage.container(context), `projection-${projection}`).read<ProjectionCheckpoint>())?.seq ?? 0;

  const contexts = new Map<string, LocalContext>();
  for (const definition of options.contexts) {
    if (contexts.has(definition.name)) throw new Error(`context ${definition.name} is mounted twice`);
    contexts.set(definition.name, new LocalContext(definition, storage, bus, log, (projection) => checkpointOf(definition.name, projection)));
  }
  await Promise.all([...contexts.values()].map((c) => c.ready()));
  await Promise.all([...contexts.values()].map((c) => c.progress.listen(bus)));

  const relays = new Map<string, RelayWorker>();
  const projections: ProjectionWorker[] = [];
  /** Wakes the projections of a source that have not reached its head yet. */
  const wakeProjections = (source: string, head: number) => {
    for (const p of projections) if (p.source === source && p.runner.checkpoint < head) p.loop.wake();
  };
  const unsubscribe: (() => Promise<void>)[] = [];

  if (options.workers ?? true) {
    for (const context of contexts.values()) {
      const container = await storage.container(context.name);
      // The loop and the relay share one lease: the relay checks it before each write.
      const lease = new BlobLease(container, 'relay');
      // This process's projections and waiters hear of placed entries directly; the bus
      // notice that follows tells everyone else (and is ignored here once applied).
      const relay = new Relay(
        { store: context.store, feed: context.feed, lease, bus, log: context.log },
        {
          onPlaced: (notice) => {
            context.progress.onFeed(notice);
            wakeProjections(context.name, notice.head);
          },
        },
      );
      relays.set(context.name, { relay, loop: new LeasedLoop(lease, relay, { idleMs: 1000, log: context.log }) });
      unsubscribe.push(
        // Hints travel in the commit log; the channel only wakes the relay.
        await bus.subscribe(channels.committed(context.name), () => relays.get(context.name)!.loop.wake()),
      );
      for (const definition of context.definition.projections) {
        const source = definition.source ?? context.name;
        const sourceContext = contexts.get(source);
        const lease = new BlobLease(container, `projection-${definition.name}`);
        const runner = new ProjectionRunner({
          context: context.name,
          definition,
          feed: sourceContext?.feed ?? new Feed(storage, source),
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
          upcast: (entry) => (sourceContext ?? context).upcast(entry),
          onChanged: (change) => context.progress.onView(change),
        });
        projections.push({ context: context.name, source, runner, loop: new LeasedLoop(lease, runner, { idleMs: 2000, log: context.log }) });
      }
    }
    const sources = new Set(projections.map((p) => p.source));
    for (const source of sources) {
      unsubscribe.push(
        await bus.subscribe(channels.feed(source), (message) => wakeProjections(source, (message as FeedNotice).head)),
      );
    }
    for (const context of contexts.values()) {
      unsubscribe.push(
        await bus.subscribe(channels.rebuild(context.name), (message) => {
          const { projection, state } = message as { projection: string; state: string };
          if (state !== 'requested' && state !== 'cancel-requested' && state !== 'retry-requested') return;
          const worker = projections.find((p) => p.context === context.name && p.runner.name === projection);
          worker?.runner.wakeRequests();
          worker?.loop.wake();
        }),
      );
    }
    for (const { loop } of relays.values()) loop.start();
    for (const { loop } of projections) loop.start();
  }

  log.info({ mode, contexts: [...contexts.keys()], workers: options.workers ?? true }, 'runtime started');

  const runtime: Runtime = {
    mode,
    bus,
    log,
    storage,
    workers: options.workers ?? true,
    contexts: contexts as ReadonlyMap<string, ContextRuntime>,
    context(name) {
      const context = contexts.get(name);
      if (!context) throw new Error(`no context named ${name} is mounted`);
      return context;
    },
    async health(): Promise<Health> {
      const started = performance.now();
      const storageHealth = await storage.ping().then(
        () => ({ ok: true, latencyMs: Math.round(performance.now() - started) }),
        (error: Error) => ({ ok: false, error: error.message }),
      );
      const redisOk = bus instanceof RedisBus ? await bus.ping() : true;
      const redis = { ok: redisOk, mode, ...(redisOk ? {} : { error: 'Redis does not answer' }) } as Health['redis'];
      return { ok: storageHealth.ok && redisOk, storage: storageHealth, redis };
    },
    async stats(): Promise<ContextStats[]> {
      return Promise.all(
        [...contexts.values()].map(async (context) => {
          const local = relays.get(context.name);
          const head = local?.relay.head || context.progress.head || (await context.feed.head());
          const stats = await Promise.all(
            context.definition.projections.map(async (definition) => {
              const worker = projections.find((p) => p.context === context.name && p.runner.name === definition.name);
              const checkpoint = worker?.loop.state === 'active' ? worker.runner.checkpoint : await checkpointOf(context.name, definition.name);
              const sourceHead = (definition.source && definition.source !== context.name ? contexts.get(definition.source)?.progress.head : head) ?? head;
              const state: 'live' | 'catching-up' | 'standby' | 'failed' = worker?.loop.lastError
                ? 'failed'
                : worker?.loop.state !== 'active'
                  ? 'standby'
                  : sourceHead - checkpoint > 500
                    ? 'catching-up'
                    : 'live';
              return { name: definition.name, checkpoint, lag: Math.max(0, sourceHead - checkpoint), state, deadLetters: worker?.runner.deadLetterCount ?? 0 };
            }),
          );
          return { name: context.name, feedHead: head, relayLag: local?.relay.lastLagMs ?? 0, projections: stats };
        }),
      );
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
      await Promise.all(unsubscribe.map((stop) => stop()));
      await Promise.all([...projections.map((p) => p.loop.stop()), ...[...relays.values()].map((r) => r.loop.stop())]);
      await Promise.all([...contexts.values()].map((c) => c.progress.close()));
      if (!options.bus) await bus.close();
    },
  };
  return runtime;
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
async function connectBus(url: string, log: Logger, namespace: string): Promise<Bus> {
  if (process.env.EVENTLOOM_MODE === 'single-process') return new MemoryBus();
  try {
    return await RedisBus.connect(url, log, namespace);
  } catch (error) {
    log.warn({ redis: url, err: (error as Error).message }, 'Redis does not answer: running single-process (in-process bus; run workers in this process only)');
    return new MemoryBus();
  }
}
