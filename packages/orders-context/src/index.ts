import { defineContext, type AppEnv, type ContextRuntime } from '@eventloom/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { catalogRoutes } from './catalog/api.ts';
import { catalog } from './catalog/decide.ts';
import { CategoryDeleted, MovieListed, catalogEvents } from './catalog/events.ts';
import { catalogViews } from './catalog/projection.ts';
import { seedCatalog } from './catalog/seed.ts';
import { cacheRoutes } from './category-cache/api.ts';
import { orderRoutes } from './orders/api.ts';
import { OrderPlaced } from './orders/events.ts';
import { categoryCreatedContract, categoryRenamedContract } from './published/catalog.ts';

/** Seed 004: a movie catalog with self-invalidating category cache, and high-volume order ingestion. */
export default defineContext({
  name: 'orders',
  title: 'Orders',
  // High-volume ingestion (seed 004): the feed is placed by four relays, one per partition.
  feed: { partitions: 4 },
  // A batch of 1,000 seed-shaped orders is about 620 KB.
  bodyLimits: { '/orders/batch': 2 * 1024 * 1024 },
  events: [...catalogEvents, OrderPlaced],
  aggregates: [catalog],
  projections: [catalogViews],
  contracts: {
    published: [
      {
        event: OrderPlaced,
        style: 'state',
        link: (data) => `/orders/${encodeURIComponent((data as { PaymentTransactionId: string }).PaymentTransactionId)}`,
        description: 'The whole order (seed 004 fields, money in cents, each line with its category), linking to the stored order.',
      },
      // Contract types of their own (published/catalog.ts), mapped from the internal events.
      categoryCreatedContract,
      categoryRenamedContract,
      { event: CategoryDeleted, style: 'state', description: 'A category is gone.' },
      { event: MovieListed, style: 'state', link: (data) => `/movies/${(data as { movieId: number }).movieId}`, description: 'A movie, its price and category.' },
    ],
  },
  routes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime) {
    cacheRoutes(app, runtime);
    catalogRoutes(app, runtime);
    orderRoutes(app, runtime);
  },
  seed: (runtime) => seedCatalog(runtime),
});

export { catalog, catalogViews, seedCatalog };
export { categoryCacheOf, closeCategoryCache } from './category-cache/for-runtime.ts';
export type { CategoryCache, CacheStats, Invalidation, InvalidationCause } from './category-cache/cache.ts';
export type { Category } from './category-cache/category-table.ts';
export { generateCatalog, defaultCatalogSeed, type Catalog, type CatalogCategory, type CatalogMovie } from './catalog/generate.ts';
export { validateOrder, catalogOf, type OrderCatalog, type OrderValidation } from './orders/validate.ts';
export { orderPartition, orderPartitions } from './orders/partition.ts';
export { OrderInput } from './orders/order-schema.ts';
export { maxBatch } from './orders/api.ts';
export { loadOrdersConfig, eventHubSettings, type OrdersConfig, type EventHubSettings } from './config.ts';
