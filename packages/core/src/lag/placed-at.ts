import type { FeedColumns, FeedReader } from '../relay/feed.ts';

/** When a feed row became readable: the relay's placing time, else (older rows) the event's own time. */
export function placedTime(row: Pick<FeedColumns, 'rat' | 'at'>): number | undefined {
  const at = Date.parse(row.rat ?? row.at);
  return Number.isFinite(at) ? at : undefined;
}

/** When the feed entry at `seq` was placed: one read of one row. */
export async function placedAt(feed: FeedReader, seq: number): Promise<number | undefined> {
  const [row] = await feed.rowsAfter(seq - 1, 1);
  return row && Number(row.seq) === seq ? placedTime(row) : undefined;
}

/**
 * When the first entry at or after `seq` that a consumer cares about was placed, looking
 * at most `limit` rows (one request): a consumer of some types only (a webhook of a
 * context's published events) is behind only by those.
 */
export async function firstPlacedAt(feed: FeedReader, seq: number, wanted: (type: string) => boolean, limit = 500): Promise<number | undefined> {
  const rows = await feed.rowsAfter(seq - 1, limit);
  const row = rows.find((r) => wanted(r.type));
  return row ? placedTime(row) : undefined;
}
