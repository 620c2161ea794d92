import { z } from 'zod';
import { defaultCatalogSeed, defaultMovieCount } from './catalog/generate.ts';

const schema = z.object({
  /** The demo catalog's seed number: the same number gives the same movies everywhere. */
  ORDERS_CATALOG_SEED: z.coerce.number().int().min(0).max(2 ** 31).default(defaultCatalogSeed),
  ORDERS_CATALOG_MOVIES: z.coerce.number().int().min(1).max(5_000).default(defaultMovieCount),
  /** How often the category change watcher compares the Categories table (ms). */
  ORDERS_CACHE_WATCH_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /** How long a cached category lives at most, even if no invalidation reaches it (s). */
  ORDERS_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Demo orders over the past week, stored once with the catalog (`./eventloom up` sets 1000; 0 = none). */
  ORDERS_DEMO_ORDERS: z.coerce.number().int().min(0).max(100_000).default(0),
});

export type OrdersConfig = z.infer<typeof schema>;

/** Reads the orders context's settings once; the message says what to set. */
export function loadOrdersConfig(env: NodeJS.ProcessEnv = process.env): OrdersConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Orders context configuration is invalid; set these environment variables:\n${lines.join('\n')}`);
  }
  return result.data;
}
