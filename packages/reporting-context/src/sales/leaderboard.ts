/** One movie on the leaderboard, with its all-time totals. */
export interface Standing {
  movieId: number;
  title: string;
  quantity: number;
  revenueCents: number;
}

/** How many movies the leaderboard row keeps. */
export const leaderboardSize = 10;

/** Most items first; equal quantities by movie id, so the order is total and the same on every replay. */
export function byQuantity(a: Standing, b: Standing): number {
  return b.quantity - a.quantity || a.movieId - b.movieId;
}

/**
 * The board after some movies' totals rose. Totals only ever grow, so a movie off
 * the board can only get on by an order of its own: the new top N is the top N of
 * the old board plus the movies this event changed, and nothing else need be read.
 */
export function rank(board: readonly Standing[], changed: readonly Standing[], size = leaderboardSize): Standing[] {
  const merged = new Map(board.map((s) => [s.movieId, s]));
  for (const standing of changed) merged.set(standing.movieId, standing);
  return [...merged.values()].sort(byQuantity).slice(0, size);
}
