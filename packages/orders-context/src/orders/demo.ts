import type { ContextRuntime, Principal } from '@eventloom/core';
import type { Catalog } from '../catalog/generate.ts';
import { OrderPlaced } from './events.ts';
import { orderPartition } from './partition.ts';
import { sampleOrders } from './sample.ts';
import { catalogOf, validateOrder } from './validate.ts';

const seeder: Principal = { sub: 'seed', role: 'admin', name: 'Demo data' };

export interface DemoOrderOptions {
  /** How many orders (spread evenly at random over the period). */
  count: number;
  /** How far back the orders go, ending now (default 7 days). */
  days?: number;
  now?: Date;
  seed?: number;
}

/**
 * A week of demo orders through the same ingestion as the API (validated against the
 * catalog, keyed by PaymentTransactionId), so the dashboard, top movies and categories
 * have something to show at first sign-in. Deterministic per seed: a re-run after a crash
 * stores each order once (the rest come back as duplicates).
 */
export async function seedDemoOrders(runtime: ContextRuntime, catalog: Catalog, options: DemoOrderOptions): Promise<{ stored: number; duplicates: number }> {
  const now = options.now ?? new Date();
  const from = new Date(now.getTime() - (options.days ?? 7) * 86_400_000);
  // Dated up to a minute ago: never "in the future" for a validator on a slower clock.
  const to = new Date(now.getTime() - 60_000);
  const index = catalogOf(catalog.movies);
  const orders = sampleOrders({ seed: options.seed ?? catalog.seed, movies: catalog.movies, from, to });
  let stored = 0;
  let duplicates = 0;
  for (let left = options.count; left > 0; ) {
    const items = [];
    // Drawn one by one: a `for … of` left with `break` would close the generator for the next batch.
    while (items.length < Math.min(500, left)) {
      const checked = validateOrder(orders.next().value, index, { now });
      if (!checked.ok) throw new Error(`a demo order is invalid: ${JSON.stringify(checked.errors)}`);
      const data = checked.order;
      items.push({ key: data.PaymentTransactionId, partition: orderPartition(data.PaymentTransactionId), event: OrderPlaced(data) });
    }
    const results = await runtime.ingest(items, { principal: seeder });
    stored += results.filter((r) => r.status === 'stored').length;
    duplicates += results.filter((r) => r.status === 'duplicate').length;
    left -= items.length;
  }
  runtime.log.info({ stored, duplicates, days: options.days ?? 7 }, 'demo orders seeded');
  return { stored, duplicates };
}
