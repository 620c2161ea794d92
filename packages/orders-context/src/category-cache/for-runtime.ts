import type { ContextRuntime } from '@eventloom/core';
import { loadOrdersConfig, type OrdersConfig } from '../config.ts';
import { liveViewTable, redisUrlOf } from '../view-table.ts';
import { CategoryCache } from './cache.ts';
import { CategoryTable } from './category-table.ts';

const caches = new WeakMap<ContextRuntime, Promise<CategoryCache>>();

/**
 * The category cache of a context runtime: one per process and store, made on
 * first use. Memory + Redis when the runtime's bus is Redis; memory only in
 * single-process mode (then there is no other process to tell).
 */
export function categoryCacheOf(runtime: ContextRuntime, config: Partial<OrdersConfig> = {}): Promise<CategoryCache> {
  let cache = caches.get(runtime);
  if (!cache) {
    cache = (async () => {
      const settings = { ...loadOrdersConfig(), ...config };
      const table = new CategoryTable(liveViewTable(runtime, 'Categories'));
      // The table name carries the store's prefix; without its generation suffix it
      // names the same cache in every process, before and after a rebuild.
      const store = (await table.name()).replace(/G\d+$/, '');
      return new CategoryCache({
        table,
        bus: runtime.bus,
        log: runtime.log.child({ cache: 'categories' }),
        ...(runtime.bus.kind === 'redis' ? { redisUrl: redisUrlOf(runtime) } : {}),
        namespace: `eventloom:cache:${store}`,
        watchIntervalMs: settings.ORDERS_CACHE_WATCH_MS,
        ttlSeconds: settings.ORDERS_CACHE_TTL_SECONDS,
      });
    })();
    caches.set(runtime, cache);
    cache.catch(() => caches.delete(runtime));
  }
  return cache;
}

/** Stops the watcher and closes the cache's Redis connection (tests; process shutdown). */
export async function closeCategoryCache(runtime: ContextRuntime): Promise<void> {
  const cache = caches.get(runtime);
  caches.delete(runtime);
  await (await cache?.catch(() => undefined))?.close();
}
