import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { randomBetween, startCounterChild } from './child-process.ts';
import {
  Closer,
  compareFeedWithStore,
  config,
  counterRuntime,
  increments,
  local,
  owner,
  sleep,
  storageOf,
  storeEvents,
  waitUntil,
  wholeFeed,
} from './helpers.ts';
import type { Runtime } from '../src/runtime.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineContext } from '../src/context/define-context.ts';
import { EventStore } from '../src/store/event-store.ts';
import { Feed, type FeedColumns } from '../src/relay/feed.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

async function feedMatchesStore(cfg: ReturnType<typeof config>, runtime: Runtime, expected: number, timeoutMs = 15_000) {
  const storage = storageOf(cfg);
  await waitUntil(`${expected} feed entries`, async () => (await wholeFeed(local(runtime).feed)).length >= expected, timeoutMs);
  // let a stray duplicate (the failure we look for) have time to land
  await sleep(300);
  const check = compareFeedWithStore(await storeEvents(storage), await wholeFeed(local(runtime).feed));
  expect(check.problems).toEqual([]);
  expect(check.storeCount).toBe(expected);
  expect(check.feedCount).toBe(expected);
}

describe('relay and feed', () => {
  it('places every event of N commands over several streams in the feed once, seqs 1..N gapless, per-stream order kept', async () => {
    const cfg = config('relay');
    const runtime = closer.add(await counterRuntime(cfg));
    const context = runtime.context('counter');
    // 8 streams written in parallel, plus bursts of concurrent commands on one stream (retries)
    let n = await increments(runtime, 8, 15);
    const burst = await Promise.allSettled(Array.from({ length: 10 }, () => context.execute('counter', 'increment', { id: 'hot', by: 1 }, { principal: owner })));
    n += burst.filter((r) => r.status === 'fulfilled').length;
    expect(n).toBeGreaterThanOrEqual(125);
    await feedMatchesStore(cfg, runtime, n);
    const entries = await context.readFeed(0, 1000);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  // Commits without a hint (a writer that died between its commit and its hint) are found once their marker goes quiet.
  it("relays streams whose ids hold ' or -- (found by hint and by marker sweep) once each", { timeout: 60_000 }, async () => {
    const cfg = config('quotes');
    const ledger = defineContext({ name: 'ledger', events: [], aggregates: [], projections: [] });
    const runtime = closer.add(await createRuntime({ contexts: [ledger], config: cfg }));
    const hinted = local(runtime, 'ledger').store;
    const silent = new EventStore(storageOf(cfg), 'ledger'); // no commit hint: only the marker sweep finds these
    const meta = { who: 'x', correlationId: 'c', causationId: 'c' };
    const streams = ["o'brien", "x' or '1'='1", 'a--b', "it''s"];
    for (const stream of streams) {
      await hinted.append(stream, 0, [{ type: 'Named', data: { stream } }, { type: 'Named', data: { n: 2 } }], meta);
      await silent.append(stream, 2, [{ type: 'Named', data: { n: 3 } }], meta);
      await silent.append(`${stream}-quiet`, 0, [{ type: 'Named', data: { n: 1 } }], meta);
    }
    const feed = local(runtime, 'ledger').feed;
    await waitUntil('16 feed entries', async () => (await wholeFeed(feed)).length >= 16, 40_000);
    await sleep(300);
    const check = compareFeedWithStore(await storeEvents(storageOf(cfg), 'ledger'), await wholeFeed(feed));
    expect(check.problems).toEqual([]);
    expect(check.feedCount).toBe(16);
  });

  it('never relays another prefix’s events that share the Redis bus', async () => {
    const a = config('isoa');
    const b = config('isob');
    const runtimeA = closer.add(await counterRuntime(a));
    const runtimeB = closer.add(await counterRuntime(b));
    await increments(runtimeA, 2, 3, 'shared');
    await feedMatchesStore(a, runtimeA, 6);
    await sleep(1500);
    expect(await wholeFeed(local(runtimeB).feed)).toEqual([]);
    expect((await runtimeB.context('counter').views.query('Counters')).rows).toEqual([]);
  });

  it('a standby runtime takes over the relay when the active one closes, continuing the sequence', async () => {
    const cfg = config('standby');
    const first = await counterRuntime(cfg);
    closer.add(first);
    await increments(first, 4, 5, 'x');
    await feedMatchesStore(cfg, first, 20);
    const second = closer.add(await counterRuntime(cfg));
    await first.close();
    const started = performance.now();
    await increments(second, 4, 5, 'y');
    await feedMatchesStore(cfg, second, 40, 15_000);
    expect(performance.now() - started).toBeLessThan(12_000);
    // views caught up too (projection lease moved as well)
    await waitUntil('views at 40', async () => (await second.stats())[0]!.projections[0]!.checkpoint === 40);
  });

  it('a standby runtime takes over when the active relay process is killed (lease expires)', { timeout: 45_000 }, async () => {
    const cfg = config('killed');
    const child = startCounterChild(cfg, { CHILD_COUNTERS: '5', CHILD_CONCURRENCY: '4' });
    closer.defer(() => child.kill());
    await child.waitFor((m) => m.ready === true);
    const storage = storageOf(cfg);
    // the child holds the relay lease once its feed moves
    await waitUntil('the child relaying', async () => (await wholeFeed(new (await import('../src/relay/feed.ts')).Feed(storage, 'counter'))).length >= 20, 15_000);
    const standby = closer.add(await counterRuntime(cfg));
    await sleep(randomBetween(0, 1000));
    await child.kill();
    const killedAt = performance.now();
    await increments(standby, 3, 4, 'after');
    const stored = [...(await storeEvents(storage)).values()].reduce((n, rows) => n + rows.length, 0);
    await feedMatchesStore(cfg, standby, stored, 30_000);
    // took over only after the 15 s lease ran out, but then promptly
    expect(performance.now() - killedAt).toBeLessThan(30_000);
  });

  it('a feed reads back the entries its process placed, and from the table what another process placed after them', async () => {
    const storage = storageOf(config('feedtail'));
    const here = new Feed(storage, 'counter');
    const there = new Feed(storage, 'counter');
    await Promise.all([here.ready(), there.ready()]);
    const entries = (from: number, to: number): FeedColumns[] =>
      Array.from({ length: to - from + 1 }, (_, i) => {
        const seq = from + i;
        return { id: `e${seq}`, type: 'Incremented', sv: 1, s: `counter-${seq % 3}`, v: seq, at: new Date().toISOString(), who: 'test', cor: 'c', cau: 'c', data: JSON.stringify({ seq }), seq, rat: new Date().toISOString() };
      });
    const seqs = (rows: FeedColumns[]) => rows.map((r) => Number(r.seq));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    await here.append(entries(1, 150));
    await there.append(entries(151, 170)); // another relay took over
    expect(seqs(await here.rowsAfter(0, 1000))).toEqual(range(1, 150));
    expect(seqs(await here.rowsAfter(100, 20))).toEqual(range(101, 120));
    expect(seqs(await here.rowsAfter(150, 1000))).toEqual(range(151, 170));
    expect(seqs(await wholeFeed(here))).toEqual(range(1, 170));

    await here.append(entries(171, 180)); // and this one won the lease back
    expect(seqs(await here.rowsAfter(140, 1000))).toEqual(range(141, 180));
    expect(seqs(await here.rowsAfter(175, 1000))).toEqual(range(176, 180));
    expect((await here.read(170, 1)).map((e) => e.data)).toEqual([{ seq: 171 }]);
    expect(seqs(await wholeFeed(there))).toEqual(range(1, 180));
  });
});
