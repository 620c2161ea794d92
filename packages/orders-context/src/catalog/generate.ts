import { seededRandom, type Random } from '../random.ts';
import { categoryNames, categoryWeights, firstNames, genreWords, places, sharedAdjectives, sharedNouns } from './words.ts';

export interface CatalogCategory {
  id: number;
  name: string;
}

export interface CatalogMovie {
  /** The `ProductId` orders refer to. */
  id: number;
  title: string;
  priceCents: number;
  categoryId: number;
  year: number;
}

export interface Catalog {
  seed: number;
  categories: CatalogCategory[];
  movies: CatalogMovie[];
}

/** The seed number of the demo catalog (seed document 004). */
export const defaultCatalogSeed = 4;
export const defaultMovieCount = 520;

/** Prices a video store asks for a movie, in cents; cheaper ones are more common for old movies. */
const prices = [299, 399, 499, 599, 799, 999, 1299, 1499, 1999] as const;

/**
 * The movie catalog of a seed number: the same number gives the same categories,
 * titles, prices and links everywhere, so tests and the order generator can rely
 * on it. Movie ids run 1..movies, category ids 1..categories.
 */
export function generateCatalog(seed = defaultCatalogSeed, movieCount = defaultMovieCount): Catalog {
  const random = seededRandom(seed);
  const categories = categoryNames.map((name, i) => ({ id: i + 1, name }));
  const weights = categoryNames.map((name) => categoryWeights[name]);
  const titles = new Set<string>();
  const movies: CatalogMovie[] = [];
  for (let id = 1; id <= movieCount; id++) {
    const category = random.weighted(categories, weights);
    let title = composeTitle(random, category.name as (typeof categoryNames)[number]);
    // A repeat becomes a sequel, as studios do.
    for (let part = 2; titles.has(title); part++) title = `${title.replace(/ \d+$/, '')} ${part}`;
    titles.add(title);
    const year = Math.round(2025 - 80 * random.next() ** 2.2);
    const recent = year >= 2015 ? 3 : year >= 2000 ? 1 : 0;
    const priceCents = prices[Math.min(prices.length - 1, random.int(0, 5) + recent)]!;
    movies.push({ id, title, priceCents, categoryId: category.id, year });
  }
  return { seed, categories, movies };
}

function composeTitle(random: Random, category: (typeof categoryNames)[number]): string {
  const own = genreWords[category];
  const noun = () => (random.chance(0.55) ? random.pick(own.nouns) : random.pick(sharedNouns));
  const adjective = () => (random.chance(0.55) ? random.pick(own.adjectives) : random.pick(sharedAdjectives));
  const patterns: (() => string)[] = [
    () => `The ${adjective()} ${noun()}`,
    () => `${adjective()} ${noun()}`,
    () => `${noun()} of the ${noun()}`,
    () => `The Last ${noun()}`,
    () => `${random.pick(places)} ${noun()}`,
    () => `Return to ${random.pick(places)}`,
    () => `${random.pick(firstNames)}'s ${noun()}`,
    () => `A ${noun()} in ${random.pick(places)}`,
    () => `${noun()}`,
    () => `The ${noun()} and the ${noun()}`,
  ];
  return random.weighted(patterns, [14, 12, 8, 4, 6, 2, 5, 5, 3, 4])();
}

/** Price in cents as the decimal the order JSON carries (1999 → 19.99). */
export const centsToPrice = (cents: number): number => Math.round(cents) / 100;
