import { defineRoute, type AppEnv, type ContextRuntime } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { categoryCacheOf } from './for-runtime.ts';

const Invalidation = z.object({
  at: z.string(),
  keys: z.array(z.string()),
  cause: z.enum(['api', 'table-change', 'view-update']).openapi({
    description: '`api`: a write through the API; `table-change`: the watcher saw an edit made outside the API; `view-update`: the watcher saw a projection write no API call had announced',
  }),
  source: z.enum(['local', 'bus']),
  latencyMs: z.number().optional().openapi({ description: 'For `bus`: from the deciding process to this one' }),
});

const Stats = z
  .object({
    levels: z.enum(['memory+redis', 'memory']),
    hits: z.object({ l1: z.number().int(), l2: z.number().int() }),
    misses: z.number().int(),
    staleHits: z.number().int(),
    invalidations: z.number().int(),
    lastInvalidation: Invalidation.nullable(),
    watcher: z.object({ intervalMs: z.number().int(), polls: z.number().int(), lastPollAt: z.string().nullable(), rows: z.number().int(), error: z.string().nullable() }),
  })
  .openapi('CategoryCacheStats');

const stats = defineRoute({
  method: 'get',
  path: '/categories/cache/stats',
  tags: ['orders'],
  roles: ['admin'],
  summary: 'The category cache of the process that answers: hits, misses, last invalidation',
  responses: { 200: { description: 'Counters since this process started', content: { 'application/json': { schema: Stats } } } },
});

export function cacheRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  app.openapi(stats, async (c) => {
    const cache = await categoryCacheOf(runtime);
    await cache.start();
    return c.json(cache.stats(), 200);
  });
}
