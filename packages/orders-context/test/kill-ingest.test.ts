/**
 * Issue 5: "a kill-and-restart test during ingestion that finds no order lost or doubled".
 * Approach of packages/core/test/kill-append.test.ts: a child process runs a runtime
 * with the orders context and ingests 20 batches × 100 generated orders (known
 * PaymentTransactionIds), reporting each acknowledged batch; the test SIGKILLs it at
 * a random moment mid-way. A fresh runtime then re-sends ALL batches, as a client
 * would after a crash: every order acknowledged before the kill must come back
 * `duplicate`, and the store and the relayed feed must hold each order exactly once.
 */
import { fileURLToPath } from 'node:url';
import { createRuntime, type FeedEntry, type IngestResult, type Runtime } from '@eventloom/core';
import { startChild, testConfig } from '@eventloom/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import orders from '../src/index.ts';
import { closeCategoryCache } from '../src/category-cache/for-runtime.ts';
import { OrderPlaced } from '../src/contracts.ts';
import { orderPartitions } from '../src/orders/partition.ts';
import { principals } from '../src/testing.ts';
import { orderBatches } from './children/order-batches.ts';
import { eventually, sleep } from './harness.ts';

const script = fileURLToPath(new URL('./children/ingest-child.ts', import.meta.url));
const seed = 5005;
const batchCount = 20;
const batchSize = 100;
const batches = orderBatches({ seed, batches: batchCount, size: batchSize });
const keyOf = (event: { data: unknown }) => (event.data as { PaymentTransactionId: string }).PaymentTransactionId;
const randomBetween = (min: number, max: number) => Math.round(min + Math.random() * (max - min));

/** The context's whole feed, page by page. */
async function wholeFeed(runtime: Runtime): Promise<FeedEntry[]> {
  const found: FeedEntry[] = [];
  for (let after = 0; ; ) {
    const entries = await runtime.context('orders').readFeed(after, 1000);
    if (entries.length === 0) return found;
    found.push(...entries);
    after = entries.at(-1)!.seq;
  }
}
const feedOrders = async (runtime: Runtime) => (await wholeFeed(runtime)).filter((e) => e.type === OrderPlaced.type);

/** Every OrderPlaced in the store (the order partitions), relayed or not. */
async function storedOrders(runtime: Runtime) {
  const partitions = Array.from({ length: orderPartitions }, (_, i) => `orders-${String(i).padStart(2, '0')}`);
  const streams = await Promise.all(partitions.map((p) => runtime.context('orders').readStream(p)));
  return streams.flat().filter((e) => e.type === OrderPlaced.type);
}

/** Keys that occur more than once. */
const doubled = (keys: string[]) => {
  const seen = new Set<string>();
  return [...new Set(keys.filter((k) => (seen.has(k) ? true : (seen.add(k), false))))];
};

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('killed during order ingestion', () => {
  it('a process SIGKILLed mid-ingestion loses and doubles no order: a re-send of every batch stores each order once', { timeout: 90_000 }, async () => {
    const config = testConfig({ name: 'kill-ingest', LOG_LEVEL: 'silent' });
    const t0 = Date.now();
    const took: Record<string, number> = {};
    const lap = (what: string) => (took[what] = Date.now() - t0);
    const expected = new Set(batches.flat().map((item) => item.key));
    expect(expected.size).toBe(batchCount * batchSize);

    // 1. The child ingests, two batches in flight; killed after a random number of
    //    acknowledgements plus a random few ms, so usually in the middle of a batch.
    const child = startChild(script, config, {
      CHILD_SEED: String(seed),
      CHILD_BATCHES: String(batchCount),
      CHILD_BATCH_SIZE: String(batchSize),
      CHILD_CONCURRENCY: '2',
    });
    cleanups.push(() => child.kill());
    const target = randomBetween(3, 12);
    const acks = () => child.messages.filter((m) => typeof m.acked === 'number');
    await child.until(() => acks().length >= target, 60_000);
    await sleep(randomBetween(0, 60));
    await child.kill();
    lap('killed');

    expect(child.messages.filter((m) => m.failed !== undefined)).toEqual([]);
    const acked = new Set(acks().map((m) => m.acked as number));
    // Each acknowledged batch was new: all its orders stored by the child.
    for (const m of acks()) expect(m).toMatchObject({ stored: batchSize, duplicates: 0, results: batchSize });
    expect(acked.size).toBeGreaterThanOrEqual(target);
    // The kill came mid-way: some batches were never acknowledged.
    expect(acked.size).toBeLessThan(batchCount);
    const ackedKeys = new Set([...acked].flatMap((i) => batches[i]!.map((item) => item.key)));

    // 2. A fresh runtime (with workers: relay) re-sends every batch, acknowledged or not
    //    (four batches in flight).
    const runtime = await createRuntime({ contexts: [orders], config });
    cleanups.push(async () => {
      await closeCategoryCache(runtime.context('orders'));
      await runtime.close();
    });
    // a request in flight when its process died may still land: let it settle first
    await sleep(500);
    const results: IngestResult[][] = [];
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < batchCount; i = next++) results[i] = await runtime.context('orders').ingest(batches[i]!, { principal: principals.admin });
    };
    await Promise.all(Array.from({ length: 4 }, lane));

    lap('resent');
    const status = new Map<string, string>();
    results.forEach((batchResults, i) => {
      expect(batchResults).toHaveLength(batchSize);
      expect(batchResults.map((r) => r.key).sort()).toEqual(batches[i]!.map((item) => item.key).sort());
      for (const r of batchResults) status.set(r.key, r.status);
    });
    // Every order acknowledged before the kill is a duplicate now.
    const ackedNotDuplicate = [...ackedKeys].filter((k) => status.get(k) !== 'duplicate');
    expect(ackedNotDuplicate).toEqual([]);
    // Unacknowledged orders: stored now, or a duplicate of a write the child made but never acknowledged.
    const unackedKeys = [...expected].filter((k) => !ackedKeys.has(k));
    const landedUnacked = unackedKeys.filter((k) => status.get(k) === 'duplicate').length;
    const storedOnResend = unackedKeys.filter((k) => status.get(k) === 'stored').length;
    expect(landedUnacked + storedOnResend).toBe(unackedKeys.length);

    // 3. The store holds every order exactly once.
    const inStore = (await storedOrders(runtime)).map(keyOf);
    expect(doubled(inStore)).toEqual([]);
    expect(new Set(inStore)).toEqual(expected);
    expect(inStore).toHaveLength(expected.size);

    // 4. The relay catches up (including the child's commits it never relayed): the feed too.
    await eventually(`all ${expected.size} orders in the feed`, async () => (await feedOrders(runtime)).length >= expected.size, 45_000, 250);
    lap('relayed');
    await sleep(500);
    const feed = await wholeFeed(runtime);
    expect(feed.map((e) => e.seq)).toEqual(Array.from({ length: feed.length }, (_, i) => i + 1));
    const inFeed = (await feedOrders(runtime)).map(keyOf);
    expect(doubled(inFeed)).toEqual([]);
    expect([...expected].filter((k) => !inFeed.includes(k))).toEqual([]);
    expect(inFeed).toHaveLength(expected.size);

    console.info(
      `kill-ingest: killed after ${acked.size}/${batchCount} acknowledged batches (target ${target}); ` +
        `${landedUnacked} unacknowledged orders had landed (re-sent as duplicate), ${storedOnResend} stored on re-send; ` +
        `${expected.size} orders in store and feed, none doubled; ms since start: ${JSON.stringify(took)}`,
    );
  });
});
