import type { ContextRuntime, Principal } from '@eventloom/core';
import { loadOrdersConfig } from '../config.ts';
import { catalogStream } from './decide.ts';
import { generateCatalog, type Catalog } from './generate.ts';
import { seedDemoOrders } from '../orders/demo.ts';

const seeder: Principal = { sub: 'seed', role: 'admin', name: 'Demo data' };

/** Lists a generated catalog through the catalog's commands (the runtime calls it once per store). */
export async function seedCatalog(runtime: ContextRuntime, catalog: Catalog = defaultCatalog(), demoOrders = loadOrdersConfig().ORDERS_DEMO_ORDERS): Promise<void> {
  // Idempotency keys make a re-run after a crash half-way apply each step once.
  for (const category of catalog.categories) {
    await runtime.execute('catalog', 'createCategory', { id: category.id, name: category.name }, { principal: seeder, idempotencyKey: `seed-category-${category.id}` });
  }
  for (let i = 0; i < catalog.movies.length; i += 99) {
    const movies = catalog.movies.slice(i, i + 99).map((m) => ({ movieId: m.id, title: m.title, priceCents: m.priceCents, categoryId: m.categoryId, year: m.year }));
    await runtime.execute('catalog', 'listMovies', { movies }, { principal: seeder, idempotencyKey: `seed-movies-${i}` });
  }
  runtime.log.info({ stream: catalogStream, seed: catalog.seed, categories: catalog.categories.length, movies: catalog.movies.length }, 'catalog seeded');
  if (demoOrders > 0) await seedDemoOrders(runtime, catalog, { count: demoOrders });
}

function defaultCatalog(): Catalog {
  const config = loadOrdersConfig();
  return generateCatalog(config.ORDERS_CATALOG_SEED, config.ORDERS_CATALOG_MOVIES);
}
