import { projection } from '@eventloom/core/testing';
import { CategoryCreated, CategoryDeleted, CategoryRenamed, MovieListed } from '@eventloom/orders-context/contracts';
import { describe, expect, it } from 'vitest';
import { feedOf, orderPlaced, type Line } from '../testing.ts';
import { byQuantity, rank, type Standing } from './leaderboard.ts';
import { leaderboardKey, sales } from './projection.ts';

type View = ReturnType<typeof projection>;

const board = (view: View): Standing[] => {
  const row = view.rows('MovieSales').find((r) => r.partitionKey === leaderboardKey.partitionKey);
  return row ? (JSON.parse(String(row.standings)) as Standing[]) : [];
};
const movies = (view: View) => view.rows('MovieSales').filter((r) => r.partitionKey === 'movie');
const categories = (view: View) => view.rows('CategorySales');

/** A small deterministic random, so a failing case can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('movie and category sales', () => {
  it('adds up quantity, revenue and orders per movie and per category', async () => {
    const view = projection(sales);
    await view.given(
      feedOf([
        orderPlaced('2026-03-01T10:00:00Z', [[7, 2, 1000, 1], [7, 1, 1000, 1], [9, 1, 500, 2]]),
        orderPlaced('2026-03-01T11:00:00Z', [[9, 4, 500, 2]]),
      ]),
    );
    expect(movies(view).map((r) => [r.movieId, r.quantity, r.revenueCents, r.orders])).toEqual([
      [7, 3, 3000, 1],
      [9, 5, 2500, 2],
    ]);
    expect(categories(view).map((r) => [r.categoryId, r.quantity, r.revenueCents, r.orders])).toEqual([
      [1, 3, 3000, 1],
      [2, 5, 2500, 2],
    ]);
    expect(board(view).map((s) => [s.movieId, s.quantity])).toEqual([
      [9, 5],
      [7, 3],
    ]);
  });

  it('names movies and categories from the catalog events, and keeps a deleted category’s sales', async () => {
    const view = projection(sales);
    await view.given(
      feedOf([
        CategoryCreated({ categoryId: 1, name: 'Drama' }),
        MovieListed({ movieId: 7, title: 'The Long Night', priceCents: 1000, categoryId: 1, year: 1999 }),
        orderPlaced('2026-03-01T10:00:00Z', [[7, 2, 1000, 1]]),
        CategoryRenamed({ categoryId: 1, name: 'Drama & Crime', previousName: 'Drama' }),
        MovieListed({ movieId: 7, title: 'The Longest Night', priceCents: 1000, categoryId: 1, year: 1999 }),
        CategoryDeleted({ categoryId: 1, name: 'Drama & Crime' }),
      ]),
    );
    expect(board(view)).toEqual([{ movieId: 7, title: 'The Longest Night', quantity: 2, revenueCents: 2000 }]);
    expect(categories(view).map((r) => [r.name, r.deleted, r.quantity])).toEqual([['Drama & Crime', true, 2]]);
  });

  it('keeps on its leaderboard exactly the top 10 of all movies (quantity, then id)', async () => {
    const next = random(42);
    const orders = Array.from({ length: 400 }, (_, i) => {
      const lines: Line[] = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
        const movie = 1 + Math.floor(next() ** 2 * 40);
        return [movie, 1 + Math.floor(next() * 3), 100 * movie, 1 + (movie % 5)];
      });
      return orderPlaced(new Date(Date.UTC(2026, 2, 1) + i * 60_000).toISOString(), lines);
    });
    const view = projection(sales);
    await view.given(feedOf(orders));
    const all = movies(view).map((r): Standing => ({ movieId: Number(r.movieId), title: `Movie ${r.movieId}`, quantity: Number(r.quantity), revenueCents: Number(r.revenueCents) }));
    expect(board(view)).toEqual(all.sort(byQuantity).slice(0, 10));
  });

  it('ends with the same rows when a crash lost some of a batch’s writes and the batch is replayed', async () => {
    const next = random(7);
    const events = feedOf(
      Array.from({ length: 120 }, (_, i) => orderPlaced(`2026-03-01T10:${String(i % 60).padStart(2, '0')}:00Z`, [[1 + Math.floor(next() * 25), 1 + Math.floor(next() * 3), 250, 1]])),
    );
    const clean = projection(sales);
    await clean.given(events);

    for (const lost of ['leaderboard', 'movie'] as const) {
      const crashed = projection(sales);
      await crashed.given(events.slice(0, 60));
      const before = new Map(crashed.tables.get('MovieSales')!.rows);
      await crashed.given(events.slice(60));
      // Only some rows of the second batch reached the table before the crash.
      for (const [key, row] of before) if (row.partitionKey === lost) crashed.tables.get('MovieSales')!.rows.set(key, row);
      await crashed.given(events.slice(60));
      expect(crashed.rows('MovieSales')).toEqual(clean.rows('MovieSales'));
    }
  });
});

describe('rank', () => {
  it('merges risen totals into the board and keeps the best ten', () => {
    const standing = (movieId: number, quantity: number): Standing => ({ movieId, title: `M${movieId}`, quantity, revenueCents: quantity * 100 });
    const start = Array.from({ length: 10 }, (_, i) => standing(i + 1, 20 - i));
    expect(rank(start, [standing(50, 12)]).map((s) => s.movieId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 50]);
    expect(rank(start, [standing(50, 11), standing(10, 13)]).map((s) => s.movieId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10, 9]);
    // A tie goes to the lower id.
    expect(rank(start, [standing(50, 11)]).map((s) => s.movieId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
