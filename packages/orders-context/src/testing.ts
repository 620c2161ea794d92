import type { Principal } from '@eventloom/core';
import { generateCatalog, type Catalog } from './catalog/generate.ts';
import { CategoryCreated, MovieListed } from './catalog/events.ts';
import { OrderPlaced, type OrderPlacedData } from './orders/events.ts';
import { catalogOf } from './orders/validate.ts';

/** Who calls, in tests. */
export const principals = {
  admin: { sub: 'admin', role: 'admin' },
  owner: { sub: 'owner.republic', role: 'owner', bank: 'Republic Bank' },
  consumer: { sub: 'consumer.demo', role: 'consumer', contexts: ['*'] },
} satisfies Record<string, Principal>;

/** The demo catalog (seed 4): 21 categories, 520 movies. */
export const demoCatalog: Catalog = generateCatalog();
export const demoMovies = catalogOf(demoCatalog.movies);

export { generateCatalog } from './catalog/generate.ts';
export { seededRandom, type Random } from './random.ts';
export { sampleOrder, sampleOrders, type SampleMovie, type SampleOptions } from './orders/sample.ts';
export { validateOrder } from './orders/validate.ts';

/** Events for tests of code that consumes the orders contracts. */
export const categoryCreated = (categoryId: number, name: string) => CategoryCreated({ categoryId, name });
export const movieListed = (movieId: number, categoryId: number, priceCents = 999, title = `Movie ${movieId}`, year = 2020) =>
  MovieListed({ movieId, title, priceCents, categoryId, year });
export const orderPlaced = (order: OrderPlacedData) => OrderPlaced(order);
