import { TableClient } from '@azure/data-tables';
import { createLogger, createRuntime, type Bus, type BusHandler, type ContextDefinition, type CoreConfig, type Runtime } from '@eventloom/core';
import counter from '@eventloom/counter-context';
// The core does not export these from its package entry; the bench reaches into the
// source on purpose (it measures the store and bus as they are, not a copy).
import { RedisBus } from '../../../packages/core/src/bus/redis-bus.ts';
import type { EventStore } from '../../../packages/core/src/store/event-store.ts';

export const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const logger = createLogger(process.env.LOG_LEVEL || 'warn', 'bench');

/**
 * The core's RedisBus with every channel name namespaced by the table prefix.
 * Core channel names are `eventloom:<context>:…` with no prefix, so two runtimes that
 * share a Redis but not tables (bench scenarios, tests, another developer's app) would
 * hear each other's commit hints. The bench isolates itself; see README.
 */
export class PrefixedBus implements Bus {
  readonly kind = 'redis' as const;
  private readonly inner: Bus;
  private readonly prefix: string;

  constructor(inner: Bus, prefix: string) {
    this.inner = inner;
    this.prefix = prefix;
  }

  static async connect(prefix: string): Promise<PrefixedBus> {
    return new PrefixedBus(await RedisBus.connect(redisUrl, logger), prefix);
  }

  publish(channel: string, message: unknown): Promise<void> {
    return this.inner.publish(`${this.prefix}|${channel}`, message);
  }

  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    return this.inner.subscribe(`${this.prefix}|${channel}`, handler);
  }

  appendLog(log: string, message: unknown, wake: string): Promise<void> {
    return this.inner.appendLog(`${this.prefix}|${log}`, message, `${this.prefix}|${wake}`);
  }

  readLog(log: string, after: string | undefined, count: number, withFirst?: boolean): ReturnType<Bus['readLog']> {
    return this.inner.readLog(`${this.prefix}|${log}`, after, count, withFirst);
  }

  remember(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    return this.inner.remember(key, value, ttlSeconds);
  }

  recall<T>(key: string): Promise<T | undefined> {
    return this.inner.recall<T>(key);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export const counterContext = counter;
/** The counter context without its projection: relay figures then measure the relay alone. */
export const counterRelayOnly: ContextDefinition = { ...counter, projections: [] };

export interface BenchRuntime {
  runtime: Runtime;
  store: EventStore;
  close(): Promise<void>;
}

/** A runtime on this run's Azurite, with a namespaced Redis bus of its own. */
export async function startRuntime(connectionString: string, prefix: string, options: { workers: boolean; context?: ContextDefinition; contexts?: ContextDefinition[] }): Promise<BenchRuntime> {
  const config: CoreConfig = {
    AZURE_STORAGE_CONNECTION_STRING: connectionString,
    REDIS_URL: redisUrl,
    EVENTLOOM_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };
  const bus = await PrefixedBus.connect(prefix);
  const contexts = options.contexts ?? [options.context ?? counterContext];
  const runtime = await createRuntime({ contexts, config, logger, workers: options.workers, bus });
  // The first context's store (the counter context unless the scenario mounts others).
  const store = (runtime.context(contexts[0]!.name) as unknown as { store: EventStore }).store;
  return {
    runtime,
    store,
    async close() {
      await runtime.close();
      await bus.close();
    },
  };
}

/** A fresh raw table (SDK only) for the reference figures. */
export async function rawTable(connectionString: string, name: string): Promise<TableClient> {
  const table = TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
  await table.createTable();
  return table;
}

/** The columns an Incremented event row has, so raw rows weigh the same as event rows. */
export function eventLikeRow(stream: string, version: number) {
  const id = crypto.randomUUID();
  return {
    partitionKey: stream,
    rowKey: String(version).padStart(10, '0'),
    id,
    type: 'Incremented',
    sv: 1,
    s: stream,
    v: version,
    at: new Date().toISOString(),
    who: 'bench',
    cor: id,
    cau: id,
    data: JSON.stringify({ counterId: stream, by: 1 }),
  };
}

export const incremented = (counterId: string) => ({ type: 'Incremented', data: { counterId, by: 1 } });
export const metadata = () => {
  const id = crypto.randomUUID();
  return { who: 'bench', correlationId: id, causationId: id };
};
export const principal = { sub: 'bench', role: 'admin' as const };
