import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  Closer,
  compareFeedWithStore,
  config,
  counter,
  countersFromStore,
  countersView,
  feedRow,
  increments,
  local,
  owner,
  sleep,
  sorted,
  storageOf,
  storeEvents,
  waitUntil,
  wholeFeed,
} from './helpers.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineContext } from '../src/context/define-context.ts';
import { Feed } from '../src/relay/feed.ts';
import { MergedFeed, MergeJournal } from '../src/relay/merged-feed.ts';
import { Merger } from '../src/relay/merger.ts';
import { settleFeedLayout } from '../src/relay/layout.ts';
import { partitionOf } from '../src/relay/partitions.ts';
import { comparePartitions } from '../src/testing/feed-audit.ts';
import { createLogger } from '../src/logger.ts';
import { MemoryBus } from '../src/bus/memory-bus.ts';
import type { BlobLease } from '../src/worker/blob-lease.ts';
import type { Runtime } from '../src/runtime.ts';
import type { CoreConfig } from '../src/config.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

const partitioned = (partitions: number) => ({ ...counter, feed: { partitions } });

/** Every partition read whole, straight from its table. */
async function partitionRows(cfg: CoreConfig, partitions: number) {
  const storage = storageOf(cfg);
  return Promise.all(Array.from({ length: partitions }, (_, p) => wholeFeed(new Feed(storage, 'counter', p))));
}

async function auditFeed(cfg: CoreConfig, runtime: Runtime, partitions: number, expected: number) {
  const feed = local(runtime).feed;
  await waitUntil(`${expected} merged entries`, async () => (await feed.head()) >= expected, 30_000);
  await sleep(300);
  const merged = await wholeFeed(feed);
  const check = compareFeedWithStore(await storeEvents(storageOf(cfg)), merged);
  expect(check.problems).toEqual([]);
  expect(check.feedCount).toBe(expected);
  const rows = await partitionRows(cfg, partitions);
  expect(comparePartitions(rows)).toEqual([]);
  expect(rows.reduce((sum, r) => sum + r.length, 0)).toBe(expected);
  return { merged, rows };
}

describe('partitioned feeds', () => {
  it('places each stream in its own partition, gapless per partition, and merges them into one feed: every event once, per-stream order, views equal the store', { timeout: 60_000 }, async () => {
    const cfg = config('part4');
    const runtime = closer.add(await createRuntime({ contexts: [partitioned(4)], config: cfg }));
    const n = await increments(runtime, 24, 6, '', (s) => s + 1);
    const { merged, rows } = await auditFeed(cfg, runtime, 4, n);
    // The 24 streams spread over the partitions, each stream wholly in its hash's partition.
    expect(rows.filter((r) => r.length > 0).length).toBeGreaterThanOrEqual(3);
    for (const row of merged) expect(rows[partitionOf(row.s, 4)]!.some((r) => r.id === row.id)).toBe(true);
    await waitUntil('views caught up', async () => sorted(await countersView(runtime)).length === 24);
    await waitUntil('views equal the store', async () => JSON.stringify(sorted(await countersView(runtime))) === JSON.stringify(sorted(countersFromStore(await storeEvents(storageOf(cfg))))));
    // The published order is the same for any reader, from anywhere in it: a fresh reader (no steps known) at every offset.
    const storage = storageOf(cfg);
    for (const after of [0, 1, 7, Math.floor(n / 2), n - 3, n - 1, n]) {
      const fresh = new MergedFeed('counter', [0, 1, 2, 3].map((p) => new Feed(storage, 'counter', p)), new MergeJournal(storage, 'counter'));
      const page = await fresh.rowsAfter(after, 5);
      expect(page.map((r) => [r.seq, r.id])).toEqual(merged.slice(after, after + 5).map((r) => [r.seq, r.id]));
    }
    expect(await new MergedFeed('counter', [0, 1, 2, 3].map((p) => new Feed(storage, 'counter', p)), new MergeJournal(storage, 'counter')).head()).toBe(n);
  });

  it('answers Prefer: wait once the merged views hold the command, and reports each partition and the merger in stats', { timeout: 60_000 }, async () => {
    const cfg = config('part2wait');
    const runtime = closer.add(await createRuntime({ contexts: [partitioned(2)], config: cfg }));
    const context = runtime.context('counter');
    for (let i = 0; i < 5; i++) {
      const accepted = await context.execute('counter', 'increment', { id: `w${i}`, by: 2 }, { principal: owner });
      expect(await context.waitForViews(accepted, 10_000)).toBe(true);
      expect((await countersView(runtime)).get(`w${i}`)).toBe(2);
    }
    const [stats] = await runtime.stats();
    expect(stats!.feedHead).toBe(5);
    expect(stats!.partitions!.map((p) => p.partition)).toEqual([0, 1]);
    expect(stats!.partitions!.reduce((sum, p) => sum + p.head, 0)).toBe(5);
    expect(stats!.mergerWorker).toBeDefined();
    expect(runtime.footprint().mergers).toEqual([{ context: 'counter', active: true, head: 5 }]);
    expect(runtime.footprint().relays.map((r) => [r.partition, r.active])).toEqual([[0, true], [1, true]]);
  });

  it('a standby runtime takes over relays and merger when the active one closes; the merged feed goes on without a gap or a double', { timeout: 90_000 }, async () => {
    const cfg = config('part2takeover');
    const a = await createRuntime({ contexts: [partitioned(2)], config: cfg });
    const b = closer.add(await createRuntime({ contexts: [partitioned(2)], config: cfg }));
    let n = await increments(a, 8, 4, 'a');
    await waitUntil('a merged its entries', async () => (await local(a).feed.head()) >= n, 30_000);
    await a.close();
    n += await increments(b, 8, 4, 'b');
    await auditFeed(cfg, b, 2, n);
  });

  it('a merger that lost its lease meets the step its successor wrote (409), recovers from the journal and goes on from there', async () => {
    const storage = storageOf(config('part2stale'));
    const partitions = [0, 1].map((p) => new Feed(storage, 'counter', p));
    await Promise.all(partitions.map((p) => p.ready()));
    const place = (p: number, from: number, count: number) =>
      new Feed(storage, 'counter', p).append(Array.from({ length: count }, (_, i) => feedRow(`p${p}-${from + i}`, `stream-${p}`, from + i, from + i)));
    await place(0, 1, 3);
    await place(1, 1, 2);
    const fakeLease = () => ({ held: true, read: async () => undefined, write: async () => undefined }) as unknown as BlobLease;
    const mergedFeed = () => new MergedFeed('counter', [0, 1].map((p) => new Feed(storage, 'counter', p)), new MergeJournal(storage, 'counter'));
    await mergedFeed().journal.ready();
    const log = createLogger('silent');
    const stale = new Merger({ feed: mergedFeed(), lease: fakeLease(), bus: new MemoryBus(), log });
    const successor = new Merger({ feed: mergedFeed(), lease: fakeLease(), bus: new MemoryBus(), log });
    await stale.start();
    await successor.start();
    expect(await successor.step()).toBe(false);
    expect(successor.head).toBe(5);
    await place(1, 3, 2);
    // The stale one believes the chain ends at 0: its step is the successor's key.
    await expect(stale.step()).rejects.toThrow(/written by another merger/);
    await stale.start();
    expect(stale.head).toBe(5);
    await stale.step();
    expect(stale.head).toBe(7);
    const merged = await wholeFeed(mergedFeed());
    expect(merged.map((r) => [r.seq, r.id])).toEqual([
      [1, 'p0-1'], [2, 'p0-2'], [3, 'p0-3'], [4, 'p1-1'], [5, 'p1-2'], [6, 'p1-3'], [7, 'p1-4'],
    ]);
  });

  it('grows a feed from 1 to 4 partitions while writes go on: no old row rewritten, no consumer position moved, every event once and in stream order, views equal the store', { timeout: 120_000 }, async () => {
    const cfg = config('grow14');
    const storage = storageOf(cfg);
    const before = await createRuntime({ contexts: [counter], config: cfg });
    let n = await increments(before, 12, 5, 'old');
    await waitUntil('the old layout placed and applied everything', async () => (await before.stats())[0]!.projections.every((p) => p.checkpoint >= n), 30_000);
    const oldRows = await wholeFeed(new Feed(storage, 'counter', 0));
    await before.close();
    // Committed under the old layout and not placed yet (no worker runs): its hints and markers wait.
    const writer = await createRuntime({ contexts: [counter], config: cfg, workers: false });
    n += await increments(writer, 12, 3, 'old');
    n += await increments(writer, 4, 2, 'gap');
    // Under load: a gateway of the old layout keeps writing while a worker grows the feed.
    const during = increments(writer, 12, 4, 'old');
    const grown = closer.add(await createRuntime({ contexts: [partitioned(4)], config: cfg }));
    n += await during;
    await writer.close();
    n += await increments(grown, 12, 3, 'old');
    n += await increments(grown, 6, 3, 'new');
    const feed = local(grown).feed;
    await waitUntil(`${n} merged entries`, async () => (await feed.head()) >= n, 30_000);
    await sleep(300);
    const merged = await wholeFeed(feed);
    const check = compareFeedWithStore(await storeEvents(storage), merged);
    expect(check.problems).toEqual([]);
    expect(check.feedCount).toBe(n);
    // The old partition's rows are those it had, untouched, and the merged order begins with them.
    const partitions = await partitionRows(cfg, 4);
    expect(partitions[0]!.slice(0, oldRows.length)).toEqual(oldRows);
    expect(merged.slice(0, oldRows.length).map((r) => [r.seq, r.id])).toEqual(oldRows.map((r) => [r.seq, r.id]));
    expect(comparePartitions(partitions, [1, 4])).toEqual([]);
    expect(partitions.slice(1).every((rows) => rows.length > 0)).toBe(true);
    await waitUntil('views equal the store', async () => JSON.stringify(sorted(await countersView(grown))) === JSON.stringify(sorted(countersFromStore(await storeEvents(storage)))), 30_000);
    // A feed never shrinks: a worker asking for fewer partitions is refused with the reason.
    await expect(createRuntime({ contexts: [partitioned(2)], config: cfg })).rejects.toThrow(/has 4 partitions and the definition asks for 2; a feed grows, it never shrinks/);
  });

  it('does not grow a feed while a worker of the old layout runs: it waits for its leases, then says which is held and by whom', { timeout: 30_000 }, async () => {
    const cfg = config('growbusy');
    const running = closer.add(await createRuntime({ contexts: [counter], config: cfg }));
    await increments(running, 2, 2, 'busy');
    await waitUntil('the old relay holds its lease', async () => (await running.stats())[0]!.relayWorker !== undefined);
    const parts = { context: 'counter', storage: storageOf(cfg), store: local(running).store, bus: new MemoryBus(), log: createLogger('silent'), leaseSeconds: 15, waitMs: 2500 };
    await expect(settleFeedLayout(parts, 4)).rejects.toThrow(/cannot grow its feed from 1 to 4 partitions while lease relay is held by .+: stop the workers that run the old layout/);
    // Nothing changed: the old layout goes on.
    expect((await running.stats())[0]!.partitions).toBeUndefined();
    await increments(running, 2, 1, 'after');
    await waitUntil('placed under the old layout', async () => (await local(running).feed.head()) === 6);
  });

  // Fault simulator, seed 6 at 4 partitions: a worker whose relay had placed entries of a
  // partition, then lost that partition to another worker, read the merged feed through
  // its own partition feed; its cache of the entries it placed served a read short of
  // the journal's step, and its projections failed until their leases moved elsewhere.
  it("reads a partition past the entries this process placed itself, when another process's relay placed the rest", async () => {
    const storage = storageOf(config('part2moved'));
    const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => feedRow(`p1-${from + i}`, 'stream-1', from + i, from + i));
    const here = [0, 1].map((p) => new Feed(storage, 'counter', p));
    await Promise.all(here.map((p) => p.ready()));
    // This process's relay placed 1-3; the relay that took the lease over placed 4-5.
    await here[1]!.append(rows(1, 3));
    await new Feed(storage, 'counter', 1).append(rows(4, 2));
    const journal = new MergeJournal(storage, 'counter');
    await journal.ready();
    await journal.insert({ start: 0, end: 5, from: [0, 0], to: [0, 5] });
    const merged = await wholeFeed(new MergedFeed('counter', here, journal));
    expect(merged.map((r) => [r.seq, r.id])).toEqual([1, 2, 3, 4, 5].map((seq) => [seq, `p1-${seq}`]));
  });

  // Bench T: the merger heard of a long placement only when all of it had landed, and the
  // merged head lagged the partitions by up to its idle second.
  it('tells of each transaction of a long append as it lands', async () => {
    const feed = new Feed(storageOf(config('flushes')), 'counter', 1);
    await feed.ready();
    const rows = Array.from({ length: 250 }, (_, i) => feedRow(`e${i + 1}`, 'stream-1', i + 1, i + 1));
    const seen: number[] = [];
    await feed.append(rows, () => void feed.head().then((head) => seen.push(head)));
    await sleep(200);
    expect(seen.length).toBe(3);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(100);
  });

  it('refuses a partition count that is not 1, 2, 4, 8 or 16', () => {
    expect(() => defineContext({ ...counter, feed: { partitions: 3 } })).toThrow(/feed.partitions must be one of 1, 2, 4, 8, 16/);
    expect(() => defineContext({ ...counter, feed: { partitions: 0 } })).toThrow(/feed.partitions/);
  });
});
