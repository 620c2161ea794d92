/** How far behind a feed's consumers are in time, and whether one has stalled (see lag-watch.ts). */
export { defaultStallAfterMs, LagWatch, type LagStanding, type LagWatchOptions, type PlacedAt } from './lag-watch.ts';
export { firstPlacedAt, placedAt, placedTime } from './placed-at.ts';
