import { defineProjection, type ViewRow, type ViewTable } from '@eventloom/core';
import {
  CategoryCreated,
  CategoryDeleted,
  CategoryRenamed,
  MovieListed,
  OrderPlaced,
  type CategoryCreatedData,
  type MovieListedData,
  type OrderPlacedData,
} from '@eventloom/orders-context/contracts';
import { count, listOf } from '../numbers.ts';
import { rank, type Standing } from './leaderboard.ts';

export const moviePartition = 'movie';
export const categoryPartition = 'category';
/** The top-10 row: PK `leaderboard`, RK `quantity`. */
export const leaderboardKey = { partitionKey: 'leaderboard', rowKey: 'quantity' } as const;

export const idKey = (id: number) => String(id).padStart(7, '0');
export const movieTitle = (row: ViewRow | undefined, movieId: number) => (row?.title ? String(row.title) : `Movie ${movieId}`);

interface Sale {
  quantity: number;
  revenueCents: number;
}

/**
 * Views of what sells, from the orders feed:
 * - `MovieSales`: per movie (PK `movie`, RK zero-padded id) all-time `quantity`,
 *   `revenueCents` and `orders`, with `title` and `categoryId` from MovieListed; and
 *   the leaderboard row (PK `leaderboard`), the top 10 by quantity, so reading the
 *   top 10 is one point read.
 * - `CategorySales`: per category (PK `category`) the same totals, with the name from
 *   CategoryCreated/Renamed; a deleted category keeps its history, marked `deleted`.
 * An order line carries its movie's category at order time (the contract's
 * `CategoryId`), so a row needs only itself and the event.
 */
export const sales = defineProjection({
  name: 'sales',
  source: 'orders',
  tables: ['MovieSales', 'CategorySales'],
  handles: [OrderPlaced.type, MovieListed.type, CategoryCreated.type, CategoryRenamed.type, CategoryDeleted.type],
  async apply(entry, { view }) {
    const movies = view('MovieSales');
    const categories = view('CategorySales');
    switch (entry.type) {
      case OrderPlaced.type:
        return placeOrder(entry.data as OrderPlacedData, movies, categories);
      case MovieListed.type: {
        const movie = entry.data as MovieListedData;
        await movies.update(moviePartition, idKey(movie.movieId), (row) => ({
          ...totals(row),
          partitionKey: moviePartition,
          rowKey: idKey(movie.movieId),
          movieId: movie.movieId,
          title: movie.title,
          categoryId: movie.categoryId,
          priceCents: movie.priceCents,
        }));
        // A title on the board follows the catalog.
        const board = await movies.get(leaderboardKey.partitionKey, leaderboardKey.rowKey);
        if (!listOf<Standing>(board, 'standings').some((s) => s.movieId === movie.movieId)) return;
        await movies.update(leaderboardKey.partitionKey, leaderboardKey.rowKey, (row) => ({
          ...leaderboardKey,
          standings: JSON.stringify(listOf<Standing>(row, 'standings').map((s) => (s.movieId === movie.movieId ? { ...s, title: movie.title } : s))),
        }));
        return;
      }
      case CategoryCreated.type:
      case CategoryRenamed.type:
      case CategoryDeleted.type: {
        const { categoryId, name } = entry.data as CategoryCreatedData;
        await categories.update(categoryPartition, idKey(categoryId), (row) => ({
          ...totals(row),
          partitionKey: categoryPartition,
          rowKey: idKey(categoryId),
          categoryId,
          name,
          deleted: entry.type === CategoryDeleted.type,
        }));
        return;
      }
    }
  },
});

const totals = (row: ViewRow | undefined) => ({
  quantity: count(row, 'quantity'),
  revenueCents: count(row, 'revenueCents'),
  orders: count(row, 'orders'),
});

const addSale = (sums: Map<number, Sale>, id: number, quantity: number, revenueCents: number) => {
  const sum = sums.get(id) ?? { quantity: 0, revenueCents: 0 };
  sums.set(id, { quantity: sum.quantity + quantity, revenueCents: sum.revenueCents + revenueCents });
};

async function placeOrder(order: OrderPlacedData, movies: ViewTable, categories: ViewTable): Promise<void> {
  // One update per row per event: a second update of a row in the same event would
  // see the row already stamped with this event and leave it.
  const byMovie = new Map<number, Sale>();
  const byCategory = new Map<number, Sale>();
  const categoryOf = new Map<number, number>();
  for (const line of order.Details) {
    const revenue = line.Quantity * line.UnitPriceCents;
    addSale(byMovie, line.ProductId, line.Quantity, revenue);
    addSale(byCategory, line.CategoryId, line.Quantity, revenue);
    categoryOf.set(line.ProductId, line.CategoryId);
  }
  const standings: Standing[] = [];
  for (const [movieId, sale] of byMovie) {
    await movies.update(moviePartition, idKey(movieId), (row) => ({
      ...row,
      partitionKey: moviePartition,
      rowKey: idKey(movieId),
      movieId,
      categoryId: row?.categoryId ?? categoryOf.get(movieId),
      quantity: count(row, 'quantity') + sale.quantity,
      revenueCents: count(row, 'revenueCents') + sale.revenueCents,
      orders: count(row, 'orders') + 1,
    }));
    // The total as it stands after this event (on a replay, the row already has it).
    const row = await movies.get(moviePartition, idKey(movieId));
    standings.push({ movieId, title: movieTitle(row, movieId), quantity: count(row, 'quantity'), revenueCents: count(row, 'revenueCents') });
  }
  await movies.update(leaderboardKey.partitionKey, leaderboardKey.rowKey, (row) => ({
    ...leaderboardKey,
    standings: JSON.stringify(rank(listOf<Standing>(row, 'standings'), standings)),
  }));
  for (const [categoryId, sale] of byCategory) {
    await categories.update(categoryPartition, idKey(categoryId), (row) => ({
      ...row,
      partitionKey: categoryPartition,
      rowKey: idKey(categoryId),
      categoryId,
      quantity: count(row, 'quantity') + sale.quantity,
      revenueCents: count(row, 'revenueCents') + sale.revenueCents,
      orders: count(row, 'orders') + 1,
    }));
  }
}
