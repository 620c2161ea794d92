import { parseTraceparent, partitionOf, type FeedColumns, type FeedReader, type Storage } from '@eventloom/core';
import { compareFeedWithStore, comparePartitions, MemoryViewStore, projection, type EventColumns } from '@eventloom/core/testing';
import { truths } from './ledger.ts';
import type { Book } from './workload.ts';

/** Every stored event in the feed exactly once, seqs 1..N without a gap, each stream in version order. */
export function checkFeed(store: Map<string, EventColumns[]>, feed: FeedColumns[]): string[] {
  return compareFeedWithStore(store, feed).problems.map((problem) => `feed: ${problem}`);
}

/**
 * A partitioned feed's partitions, each read whole: each gapless from seq 1, each stream
 * only in the partition its hash names, and no event in two partitions. (The merged feed,
 * checked with checkFeed, gives every stored event once in per-stream order.)
 */
export function checkPartitions(partitions: FeedColumns[][]): string[] {
  const problems = comparePartitions(partitions);
  const home = new Map<string, string>();
  partitions.forEach((rows, p) => {
    for (const row of rows) {
      const first = home.get(row.id);
      if (first !== undefined) problems.push(`event ${row.id} (${row.s} v${row.v}) is in ${first} and again in partition ${p} seq ${row.seq}`);
      else home.set(row.id, `partition ${p} seq ${row.seq}`);
    }
  });
  return problems.slice(0, 20).map((problem) => `feed ${problem}`);
}

/**
 * Follows a feed, or one partition of it, as it grows: a gap, a repeated event, or (in a
 * partition) a stream out of its own partition is reported the moment it appears. `ids`
 * may be shared by the partitions' tails, so an event placed in two partitions is caught.
 */
export class FeedTail {
  after = 0;
  private readonly what: string;
  private readonly home: { index: number; of: number } | undefined;
  private readonly ids: Set<string>;

  constructor(what: string, home?: { index: number; of: number }, ids = new Set<string>()) {
    this.what = what;
    this.home = home;
    this.ids = ids;
  }

  /** The next rows read after `after`; the problems they show. */
  take(rows: FeedColumns[], at: number): string[] {
    const problems: string[] = [];
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== this.after + 1) problems.push(`${this.what}: seq ${seq} follows ${this.after} (seen at ${at} ms)`);
      if (this.ids.has(row.id)) problems.push(`${this.what}: event ${row.s} v${row.v} placed twice, again at seq ${seq} (seen at ${at} ms)`);
      if (this.home && partitionOf(row.s, this.home.of) !== this.home.index) {
        problems.push(`${this.what}: seq ${seq} holds stream ${row.s}, whose partition is ${partitionOf(row.s, this.home.of)} (seen at ${at} ms)`);
      }
      this.ids.add(row.id);
      this.after = seq;
    }
    return problems;
  }
}

/** Every acknowledged operation landed once, refused ones not at all, unknown ones at most once; the book's own findings too. */
export async function checkOperations(storage: Storage, store: Map<string, EventColumns[]>, book: Book): Promise<string[]> {
  const problems = [...book.violations];
  const byOp = new Map<string, EventColumns[]>();
  const byKey = new Map<string, EventColumns[]>();
  const container = await storage.container('ledger');
  for (const rows of store.values()) {
    for (const row of rows) {
      // A large body lives in Blob (claim check): read it there.
      const json = row.claim ? (await container.getBlockBlobClient(row.claim).downloadToBuffer()).toString('utf8') : (row.data ?? '{}');
      const data = JSON.parse(json) as { op?: string; key?: string };
      if (!parseTraceparent(row.tp)) problems.push(`event ${row.id} (${row.type}) records no valid trace context: ${JSON.stringify(row.tp)}`);
      if (data.op) byOp.set(data.op, [...(byOp.get(data.op) ?? []), row]);
      if (row.type === 'Paid' && data.key) byKey.set(data.key, [...(byKey.get(data.key) ?? []), row]);
    }
  }
  for (const record of book.commands) {
    const rows = byOp.get(record.op) ?? [];
    const what = `${record.command} ${record.op} (${record.caller}${record.key ? `, key ${record.key}` : ''})`;
    if (record.outcome === 'applied') {
      if (rows.length !== record.events) problems.push(`${what} was acknowledged but is in the store ${rows.length} times (expected ${record.events} events)`);
      else if (record.eventIds && rows.map((r) => r.id).sort().join() !== [...record.eventIds].sort().join()) problems.push(`${what} was acknowledged with events other than those stored`);
      else if (record.traceId && rows.some((r) => parseTraceparent(r.tp)?.traceId !== record.traceId)) problems.push(`${what} stored events outside its trace ${record.traceId}: ${rows.map((r) => r.tp).join(', ')}`);
    } else if (record.outcome === 'refused') {
      if (rows.length > 0) problems.push(`${what} was refused (${record.reason}) but is in the store`);
    } else if (rows.length !== 0 && rows.length !== record.events) {
      problems.push(`${what} had no answer and is in the store ${rows.length} times (expected 0 or ${record.events})`);
    }
  }
  for (const record of book.ingested.values()) {
    const rows = byKey.get(record.key) ?? [];
    if (rows.length > 1) problems.push(`payment ${record.key} is in the store ${rows.length} times`);
    if (record.outcome !== 'unknown' && rows.length === 0) problems.push(`payment ${record.key} was acknowledged (${record.outcome}) but is not in the store`);
  }
  return problems;
}

/** The letters that keep events out of the live generation of a projection. */
export interface Exclusions {
  generation: number;
  seqs: Set<number>;
}

/** Each projection's tables equal a from-scratch run of its handlers over the feed, less the events it parked or skipped. */
export async function checkViews(storage: Storage, feed: FeedReader, entries: FeedColumns[], excluded: Map<string, Exclusions>): Promise<string[]> {
  const problems: string[] = [];
  const decoded = await Promise.all(entries.map((row) => feed.decode(row)));
  for (const truth of truths) {
    const out = excluded.get(truth.name) ?? { generation: 0, seqs: new Set<number>() };
    const expected = await projection(truth).given(decoded.filter((entry) => !out.seqs.has(entry.seq)));
    for (const table of truth.tables) {
      const want = (expected.tables.get(table) as MemoryViewStore).list();
      const have = await viewRows(storage, table, out.generation);
      const key = (row: Record<string, unknown>) => `${String(row.partitionKey)}/${String(row.rowKey)}`;
      const wanted = new Map(want.map((row) => [key(row), canonical(row)]));
      const had = new Map(have.map((row) => [key(row), canonical(row)]));
      for (const [k, row] of wanted) if (had.get(k) !== row) problems.push(`view ${table}: ${k} should be ${row}, is ${had.get(k) ?? 'missing'}`);
      for (const [k, row] of had) if (!wanted.has(k)) problems.push(`view ${table}: ${k} should not exist, is ${row}`);
    }
  }
  return problems;
}

/** A view table's rows as readers see them (no tombstones, no bookkeeping columns). */
async function viewRows(storage: Storage, table: string, generation: number): Promise<Record<string, unknown>[]> {
  const name = storage.tableName('ledger', 'View', table, ...(generation === 0 ? [] : [`G${generation}`]));
  const rows: Record<string, unknown>[] = [];
  try {
    for await (const entity of storage.tableClient(name).listEntities()) {
      if (entity._deleted === true) continue;
      const { etag: _e, timestamp: _t, 'odata.metadata': _m, _seq: _s, _p: _p, ...row } = entity as Record<string, unknown>;
      rows.push(row);
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return rows;
}

/** JSON with keys sorted: rows compare by content, whatever order their columns came in. */
function canonical(row: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))));
}
