import { TableClient } from '@azure/data-tables';
import { createRuntime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import orders, { categoryCacheOf, closeCategoryCache } from '../src/index.ts';
import { startCacheChild } from './cache-child.ts';
import { eventually, latencyBudget, ordersApi, sleep } from './harness.ts';

let api: Awaited<ReturnType<typeof ordersApi>>;
let table: TableClient;
beforeAll(async () => {
  api = await ordersApi('cache');
  // The table an operator would open in a storage explorer (generation 0: no rebuild yet).
  table = TableClient.fromConnectionString(api.config.AZURE_STORAGE_CONNECTION_STRING, `${api.config.EVENTLOOM_PREFIX}ordersViewCategories`, {
    allowInsecureConnection: true,
  });
}, 60_000);
afterAll(() => api?.close());

/** Polls `read` until it returns what `fresh` accepts; the milliseconds it took. */
async function timeUntil<T>(read: () => Promise<T>, fresh: (value: T) => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!fresh(await read())) {
    if (performance.now() - started > timeoutMs) throw new Error(`not fresh after ${timeoutMs} ms`);
    await sleep(5);
  }
  return performance.now() - started;
}

describe('a write through the API', () => {
  it('reaches the cache of another process within 100 ms, over the bus', async () => {
    // The other process's watcher is off (a minute between polls): only the bus can tell it.
    const other = await startCacheChild(api.config, { ORDERS_CACHE_WATCH_MS: '60000' });
    try {
      expect(other.levels).toBe('memory+redis');
      expect(await other.get(4)).toEqual({ id: 4, name: 'Comedy' });
      expect((await other.list()).find((c) => c.id === 4)?.name).toBe('Comedy');
      const warm = await other.stats();
      expect(await other.get(4)).toEqual({ id: 4, name: 'Comedy' });
      expect((await other.stats()).hits.l1).toBe(warm.hits.l1 + 1);

      const renamed = await api.patch('/categories/4', { name: 'Comedies' });
      expect(renamed.status).toBe(200);
      // The notice reached the other process within 100 ms of the write dropping the keys,
      // and the other process answers fresh (its first read, but for a slow machine).
      expect(await timeUntil(() => other.get(4), (c) => c?.name === 'Comedies', 10_000)).toBeLessThan(latencyBudget(1_000));
      expect((await other.list()).find((c) => c.id === 4)?.name).toBe('Comedies');
      const heard = (await other.stats()).lastInvalidation;
      expect(heard).toMatchObject({ keys: ['categories', 'category:4'], cause: 'api', source: 'bus' });
      expect(heard!.latencyMs).toBeLessThan(latencyBudget(100));

      const created = await api.post('/categories', { name: 'Shorts' });
      expect(await timeUntil(() => other.list(), (list) => list.some((c) => c.name === 'Shorts'), 10_000)).toBeLessThan(latencyBudget(1_000));
      expect((await other.stats()).lastInvalidation!.latencyMs).toBeLessThan(latencyBudget(100));
      await api.delete(`/categories/${created.body.category.id}`);
      expect(await timeUntil(() => other.list(), (list) => !list.some((c) => c.name === 'Shorts'), 10_000)).toBeLessThan(latencyBudget(1_000));
      expect((await other.stats()).lastInvalidation!.latencyMs).toBeLessThan(latencyBudget(100));
    } finally {
      await other.stop();
      await api.patch('/categories/4', { name: 'Comedy' });
    }
  }, 60_000);
});

describe('a direct edit of the Categories table (no API)', () => {
  it('is served fresh by every process within 2 s', async () => {
    const other = await startCacheChild(api.config);
    try {
      expect(await other.get(6)).toEqual({ id: 6, name: 'Documentary' });
      expect((await api.get('/categories/6')).body.name).toBe('Documentary');
      await other.list();

      await table.updateEntity({ partitionKey: 'category', rowKey: '6', CategoryName: 'Docs' }, 'Merge');
      const [there, here] = await Promise.all([
        timeUntil(() => other.get(6), (c) => c?.name === 'Docs', 10_000),
        timeUntil(async () => (await api.get('/categories/6')).body, (c) => c.name === 'Docs', 10_000),
      ]);
      expect(there).toBeLessThan(latencyBudget(2_000));
      expect(here).toBeLessThan(latencyBudget(2_000));
      expect((await other.list()).find((c) => c.id === 6)?.name).toBe('Docs');
      expect((await other.stats()).lastInvalidation).toMatchObject({ cause: 'table-change', keys: ['categories', 'category:6'] });

      // A row added by hand, then removed by hand.
      await table.createEntity({ partitionKey: 'category', rowKey: '500', CategoryName: 'Silent Films' });
      expect(await timeUntil(() => other.list(), (list) => list.some((c) => c.id === 500 && c.name === 'Silent Films'), 10_000)).toBeLessThan(latencyBudget(2_000));
      expect(await other.get(500)).toEqual({ id: 500, name: 'Silent Films' });
      await table.deleteEntity('category', '500');
      expect(await timeUntil(() => other.get(500), (c) => c === null, 10_000)).toBeLessThan(latencyBudget(2_000));
      expect((await other.list()).some((c) => c.id === 500)).toBe(false);
    } finally {
      await other.stop();
    }
  }, 60_000);

  it('is not mistaken for a hand edit when it was an API write', async () => {
    await api.patch('/categories/7', { name: 'Dramas' });
    const cache = await categoryCacheOf(api.context);
    await sleep(1_200);
    await cache.pollNow();
    expect(cache.stats().lastInvalidation).toMatchObject({ cause: 'api', keys: ['categories', 'category:7'] });
    await api.patch('/categories/7', { name: 'Drama' });
  });
});

describe('single-process mode', () => {
  it('caches in memory only', async () => {
    const previous = process.env.EVENTLOOM_MODE;
    process.env.EVENTLOOM_MODE = 'single-process';
    const runtime = await createRuntime({ contexts: [orders], config: testConfig({ name: 'single', LOG_LEVEL: 'silent' }) });
    if (previous === undefined) delete process.env.EVENTLOOM_MODE;
    else process.env.EVENTLOOM_MODE = previous;
    const context = runtime.context('orders');
    try {
      expect(runtime.mode).toBe('single-process');
      await runtime.seed();
      await eventually('the seeded categories', async () => (await context.views.get('Categories', 'category', '21')) !== undefined);
      const cache = await categoryCacheOf(context);
      expect(cache.stats().levels).toBe('memory');
      expect(await cache.get(1)).toEqual({ id: 1, name: 'Action' });
      expect(await cache.get(1)).toEqual({ id: 1, name: 'Action' });
      expect(cache.stats().hits.l1).toBeGreaterThan(0);
    } finally {
      await closeCategoryCache(context);
      await runtime.close();
    }
  });
});
