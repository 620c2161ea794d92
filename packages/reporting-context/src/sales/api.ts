import { defineRoute, type AppEnv, type ContextRuntime, type ViewRow } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { count, listOf } from '../numbers.ts';
import { readers } from '../roles.ts';
import { readAll } from '../views.ts';
import { byQuantity, leaderboardSize, type Standing } from './leaderboard.ts';
import { categoryPartition, leaderboardKey, moviePartition, movieTitle } from './projection.ts';

const TopMovie = z
  .object({ rank: z.number().int(), movieId: z.number().int(), title: z.string(), quantity: z.number().int(), revenueCents: z.number().int() })
  .openapi('TopMovie');
const PopularCategory = z
  .object({
    rank: z.number().int(),
    categoryId: z.number().int(),
    name: z.string(),
    deleted: z.boolean().openapi({ description: 'The category is gone from the catalog; its sales stay' }),
    quantity: z.number().int(),
    revenueCents: z.number().int(),
    orders: z.number().int().openapi({ description: 'Orders with at least one line in the category' }),
  })
  .openapi('PopularCategory');

const topMovies = defineRoute({
  method: 'get',
  path: '/movies/top',
  tags: ['reporting'],
  roles: readers,
  reveals: ['orders'],
  summary: 'Most popular movies of all time, by quantity ordered',
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(leaderboardSize).openapi({ description: `Up to ${leaderboardSize}: one read of the leaderboard; more: every movie's totals, sorted` }),
    }),
  },
  responses: { 200: { description: 'Movies, most ordered first', content: { 'application/json': { schema: z.object({ items: z.array(TopMovie) }) } } } },
});

const popularCategories = defineRoute({
  method: 'get',
  path: '/categories/popular',
  tags: ['reporting'],
  roles: readers,
  reveals: ['orders'],
  summary: 'Movie categories by quantity ordered or by revenue',
  request: { query: z.object({ by: z.enum(['quantity', 'revenue']).default('quantity') }) },
  responses: { 200: { description: 'Every category that has been seen, most popular first', content: { 'application/json': { schema: z.object({ by: z.enum(['quantity', 'revenue']), items: z.array(PopularCategory) }) } } } },
});

const standingOf = (row: ViewRow): Standing => ({
  movieId: Number(row.movieId),
  title: movieTitle(row, Number(row.movieId)),
  quantity: count(row, 'quantity'),
  revenueCents: count(row, 'revenueCents'),
});

/** The top movies: the leaderboard row when it holds enough, else all movie rows sorted. */
export async function topMoviesOf(runtime: ContextRuntime, limit: number): Promise<Standing[]> {
  if (limit <= leaderboardSize) {
    const board = await runtime.views.get('MovieSales', leaderboardKey.partitionKey, leaderboardKey.rowKey);
    return listOf<Standing>(board, 'standings').slice(0, limit);
  }
  const rows = await readAll(runtime.views, 'MovieSales', { partitionKey: moviePartition });
  return rows.map(standingOf).filter((s) => s.quantity > 0).sort(byQuantity).slice(0, limit);
}

export function salesRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  app.openapi(topMovies, async (c) => {
    const standings = await topMoviesOf(runtime, c.req.valid('query').limit);
    return c.json({ items: standings.map((s, i) => ({ rank: i + 1, ...s })) }, 200);
  });

  app.openapi(popularCategories, async (c) => {
    const { by } = c.req.valid('query');
    const rows = await readAll(runtime.views, 'CategorySales', { partitionKey: categoryPartition });
    const column = by === 'quantity' ? 'quantity' : 'revenueCents';
    const items = rows
      .map((row) => ({
        categoryId: Number(row.categoryId),
        name: row.name ? String(row.name) : `Category ${String(row.categoryId)}`,
        deleted: row.deleted === true,
        quantity: count(row, 'quantity'),
        revenueCents: count(row, 'revenueCents'),
        orders: count(row, 'orders'),
      }))
      .sort((a, b) => b[column] - a[column] || a.categoryId - b.categoryId)
      .map((item, i) => ({ rank: i + 1, ...item }));
    return c.json({ by, items }, 200);
  });
}
