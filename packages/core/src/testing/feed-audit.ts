import type { TableClient } from '@azure/data-tables';
import type { FeedColumns, FeedReader } from '../relay/feed.ts';
import { partitionOf } from '../relay/partitions.ts';
import type { EventColumns } from '../store/codec.ts';
import type { Storage } from '../store/storage.ts';

/*
 * The feed against the store, as a test or the fault simulator checks it: every stored
 * event in the feed exactly once, seqs without a gap, each stream in version order.
 */

/** Every event row in a context's store (not idempotency, commit or bookkeeping rows), by stream, in version order. */
export async function storeEvents(storage: Storage, context = 'counter'): Promise<Map<string, EventColumns[]>> {
  const table: TableClient = await storage.table(context, 'Events');
  const streams = new Map<string, EventColumns[]>();
  for await (const row of table.listEntities<EventColumns>()) {
    // Plain events sit at their version; keyed events at `k|{key}` (their commit row lists them).
    if (!/^\d{10}$/.test(row.rowKey!) && !row.rowKey!.startsWith('k|')) continue;
    if ((row as { kind?: string }).kind === 'commit') continue;
    const list = streams.get(row.partitionKey!) ?? [];
    list.push(row);
    streams.set(row.partitionKey!, list);
  }
  for (const list of streams.values()) list.sort((a, b) => Number(a.v) - Number(b.v));
  return streams;
}

/** The whole feed, in seq order. */
export async function wholeFeed(feed: FeedReader): Promise<FeedColumns[]> {
  const rows: FeedColumns[] = [];
  for (;;) {
    const page = await feed.rowsAfter(rows.length ? Number(rows[rows.length - 1]!.seq) : 0, 1000);
    if (page.length === 0) return rows;
    rows.push(...page);
  }
}

export interface FeedCheck {
  storeCount: number;
  feedCount: number;
  /** Problems found; empty when the feed is exactly the store's events, once each, gapless, per-stream ordered. */
  problems: string[];
}

/**
 * Compares a feed with the store: every stored event appears exactly once, seqs are
 * 1..N without gaps, and within each stream the versions appear in order, 1, 2, 3...
 */
export function compareFeedWithStore(store: Map<string, EventColumns[]>, feed: FeedColumns[]): FeedCheck {
  const problems: string[] = [];
  const stored = new Map<string, EventColumns>();
  /** Each stream's versions in order: 1, 2, 3... for plain streams; commit × 100 + i for keyed ones. */
  const versions = new Map<string, number[]>();
  for (const [stream, rows] of store) {
    rows.forEach((row, i) => {
      if (row.p === undefined && Number(row.v) !== i + 1) problems.push(`store stream ${stream} has version ${row.v} at position ${i + 1}`);
      stored.set(row.id, row);
    });
    versions.set(stream, rows.map((row) => Number(row.v)));
  }
  const seen = new Map<string, number>();
  const placed = new Map<string, number>();
  feed.forEach((row, i) => {
    if (Number(row.seq) !== i + 1) problems.push(`feed position ${i + 1} holds seq ${row.seq}`);
    if (seen.has(row.id)) problems.push(`event ${row.id} (${row.s} v${row.v}) is in the feed twice: seq ${seen.get(row.id)} and ${row.seq}`);
    seen.set(row.id, Number(row.seq));
    const original = stored.get(row.id);
    if (!original) problems.push(`feed seq ${row.seq} holds event ${row.id} (${row.s} v${row.v}) that is not in the store`);
    else if (original.s !== row.s || Number(original.v) !== Number(row.v) || original.data !== row.data) problems.push(`feed seq ${row.seq} differs from the stored event`);
    const index = placed.get(row.s) ?? 0;
    const expected = versions.get(row.s)?.[index];
    if (Number(row.v) !== expected) problems.push(`stream ${row.s}: feed seq ${row.seq} holds v${row.v}, expected v${expected}`);
    placed.set(row.s, index + 1);
  });
  for (const id of stored.keys()) if (!seen.has(id)) problems.push(`stored event ${id} (${stored.get(id)!.s} v${stored.get(id)!.v}) is missing from the feed`);
  return { storeCount: stored.size, feedCount: feed.length, problems: problems.slice(0, 20) };
}

/**
 * A partitioned feed's partitions, each read whole: every partition gapless from seq 1,
 * every stream in the one partition its hash names and in no other (or, for a feed that
 * grew, in its partition under one of the `layouts` it had). (The merged feed,
 * checked with compareFeedWithStore, gives every event once and per-stream order.)
 */
export function comparePartitions(partitions: FeedColumns[][], layouts: number[] = [partitions.length]): string[] {
  const problems: string[] = [];
  partitions.forEach((rows, p) => {
    rows.forEach((row, i) => {
      if (Number(row.seq) !== i + 1) problems.push(`partition ${p}: position ${i + 1} holds seq ${row.seq}`);
      // A feed that grew: a stream's older events sit in its partition of an earlier layout.
      const homes = layouts.map((count) => partitionOf(row.s, count));
      if (!homes.includes(p)) problems.push(`partition ${p}: seq ${row.seq} holds stream ${row.s}, whose partition is ${homes.join(' or ')}`);
    });
  });
  return problems.slice(0, 20);
}
