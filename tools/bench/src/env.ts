import { TableClient } from '@azure/data-tables';
import { createLogger, createRuntime, type ContextDefinition, type CoreConfig, type Runtime } from '@eventloom/core';
import counter from '@eventloom/counter-context';
// The core does not export the store class from its package entry; the bench reaches into
// the source on purpose (it measures the store as it is, not a copy).
import type { EventStore } from '../../../packages/core/src/store/event-store.ts';

export const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const logger = createLogger(process.env.LOG_LEVEL || 'warn', 'bench');

export const counterContext = counter;
/** The counter context without its projection: relay figures then measure the relay alone. */
export const counterRelayOnly: ContextDefinition = { ...counter, projections: [] };

export interface BenchRuntime {
  runtime: Runtime;
  store: EventStore;
  close(): Promise<void>;
}

/** A runtime on this run's Azurite; its Redis bus is namespaced by store and prefix (core does it). */
export async function startRuntime(
  connectionString: string,
  prefix: string,
  options: { workers: boolean; context?: ContextDefinition; contexts?: ContextDefinition[]; busNamespace?: string },
): Promise<BenchRuntime> {
  const config: CoreConfig = {
    AZURE_STORAGE_CONNECTION_STRING: connectionString,
    REDIS_URL: redisUrl,
    EVENTLOOM_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };
  const contexts = options.contexts ?? [options.context ?? counterContext];
  const runtime = await createRuntime({ contexts, config, logger, workers: options.workers, ...(options.busNamespace ? { busNamespace: options.busNamespace } : {}) });
  // The first context's store (the counter context unless the scenario mounts others).
  const store = (runtime.context(contexts[0]!.name) as unknown as { store: EventStore }).store;
  return {
    runtime,
    store,
    close: () => runtime.close(),
  };
}

/** A fresh raw table (SDK only) for the reference figures. */
export async function rawTable(connectionString: string, name: string): Promise<TableClient> {
  const table = TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
  await table.createTable();
  return table;
}

/** The columns an Incremented event row has (its trace context too), so raw rows weigh the same as event rows. */
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
    // Every event records the W3C trace context of the work that stored it (issue 15).
    tp: `00-${id.replaceAll('-', '')}-${id.slice(0, 8)}${id.slice(9, 13)}${id.slice(14, 18)}-00`,
    data: JSON.stringify({ counterId: stream, by: 1 }),
  };
}

export const incremented = (counterId: string) => ({ type: 'Incremented', data: { counterId, by: 1 } });
export const metadata = () => {
  const id = crypto.randomUUID();
  return { who: 'bench', correlationId: id, causationId: id };
};
export const principal = { sub: 'bench', role: 'admin' as const };
