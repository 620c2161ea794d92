import { channels, type IngestItem, type ViewChange } from '@eventloom/core';
import banking from '../../../../packages/banking-context/src/index.ts';
import orders, { categoryCacheOf, closeCategoryCache, orderPartition } from '../../../../packages/orders-context/src/index.ts';
import { OrderPlaced } from '../../../../packages/orders-context/src/contracts.ts';
import { demoMovies, sampleOrders, validateOrder, demoCatalog } from '../../../../packages/orders-context/src/testing.ts';
import { CategoryCache } from '../../../../packages/orders-context/src/category-cache/cache.ts';
import { CategoryTable } from '../../../../packages/orders-context/src/category-cache/category-table.ts';
import { liveViewTable, redisUrlOf } from '../../../../packages/orders-context/src/view-table.ts';
import reporting from '../../../../packages/reporting-context/src/index.ts';
import { eventLikeRow, principal, startRuntime } from '../env.ts';
import { insertReference, openLoop } from '../open-loop.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { percentile, round, sleep } from '../util.ts';
import { rawBatches } from './relay.ts';

/** Seed-shaped orders, validated against the demo catalog and turned into ingest items as the route does. */
function orderItems(seed: number) {
  const generator = sampleOrders({ seed, movies: demoCatalog.movies.map((m) => ({ id: m.id, priceCents: m.priceCents })) });
  return (n: number): IngestItem[] =>
    Array.from({ length: n }, () => {
      const result = validateOrder(generator.next().value, demoMovies);
      if (!result.ok) throw new Error(`sample order invalid: ${JSON.stringify(result.errors)}`);
      return { key: result.order.PaymentTransactionId, partition: orderPartition(result.order.PaymentTransactionId), event: OrderPlaced(result.order) };
    });
}

/**
 * Orders: (1) ingestion throughput of 1,000-order batches through `runtime.ingest`
 * (workers off: the ingest path alone) against raw 100-entity batch inserts with the
 * same concurrency ingest uses (8 partitions in flight); (2) order → dashboard visible
 * (reporting's `orderWindows` projection has applied it) with orders, banking and
 * reporting in one runtime, open loop; (3) category reads through the cache, L1 and L2.
 */
export async function ordersScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rows: Row[] = [];
  const prefix = ctx.prefix('o');
  const contexts = [orders, banking, reporting];

  // --- raw references
  const reference = await insertReference(ctx, prefix);
  const { table: raw, p50: rawP50 } = reference;
  const rawReads: number[] = [];
  for (let i = 0; i < (ctx.quick ? 200 : 500); i++) {
    const started = performance.now();
    const row = 21 + (i % 150);
    await raw.getEntity(`raw-${row % 10}`, String(row).padStart(10, '0'));
    if (i >= 20) rawReads.push(performance.now() - started);
  }
  const rawReadP50 = percentile(rawReads, 50);
  ctx.log(`raw createEntity p50 ${round(rawP50)} ms; raw point read p50 ${round(rawReadP50)} ms`);

  // --- 1. ingestion throughput (workers off). The reference inserts rows of the same
  // size (the same order JSON in an event row's columns), 100 per transaction, 8 in
  // flight; ingestion keeps at most one transaction per order partition in flight, so
  // with 8 partitions it never has more requests out than the reference.
  const rawMs = ctx.quick ? 1500 : 3000;
  const make = orderItems(11);
  const senders = 4;
  const batches = ctx.quick ? 8 : 24;
  const prepared = Array.from({ length: 2 * batches + 1 }, () => make(1000));
  const orderJson = prepared.flatMap((batch) => batch.slice(0, 50).map((item) => JSON.stringify(item.event.data)));
  const orderLikeRow = (partition: string, n: number) => ({ ...eventLikeRow(partition, n), type: 'OrderPlaced', data: orderJson[n % orderJson.length]! });
  const rawBefore = await rawBatches(ctx, rawMs, 8, orderLikeRow);
  const ingestPrefix = ctx.prefix('oi');
  const writer = await startRuntime(ctx.connectionString, ingestPrefix, { workers: false, contexts });
  const ingestRun = async (work: IngestItem[][], concurrency: number) => {
    const context = writer.runtime.context('orders');
    let stored = 0;
    let duplicates = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < work.length) {
          for (const result of await context.ingest(work[next++]!, { principal })) result.status === 'stored' ? stored++ : duplicates++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { orders: stored, seconds, rate: stored / seconds, duplicates };
  };
  let ingest: Awaited<ReturnType<typeof ingestRun>>;
  let oneSender: Awaited<ReturnType<typeof ingestRun>>;
  try {
    await writer.runtime.context('orders').ingest(prepared[0]!, { principal }); // warm-up (tables, connections)
    ingest = await ingestRun(prepared.slice(1, 1 + batches), senders);
    oneSender = await ingestRun(prepared.slice(1 + batches), 1);
  } finally {
    await writer.close();
  }
  const rawAfter = await rawBatches(ctx, rawMs, 8, orderLikeRow);
  const rawSmall = await rawBatches(ctx, rawMs, 8);
  const rawRate = (rawBefore + rawAfter) / 2;
  ctx.log(
    `ingest: ${ingest.orders} orders from ${senders} senders in ${round(ingest.seconds, 2)} s → ${round(ingest.rate, 0)} orders/s (${ingest.duplicates} duplicates); ` +
      `one sender ${round(oneSender.rate, 0)} orders/s; raw 100-row batches of order-sized rows, 8 in flight: ${round(rawBefore, 0)} / ${round(rawAfter, 0)} rows/s ` +
      `(small rows ${round(rawSmall, 0)})`,
  );
  rows.push(
    {
      id: 'orders-ingest',
      scenario: `O1. orders ingest (1,000-order batches, ${senders} senders)`,
      eventloom: { value: ingest.rate, unit: 'orders/s' },
      raw: { value: rawRate, unit: 'rows/s', label: 'order-sized rows, 100/batch, 8 in flight' },
      ratio: ingest.duplicates === 0 ? ingest.rate / rawRate : Number.NaN,
      target: { op: '>=', value: 0.6 },
      details: { ...ingest, senders, rawBefore, rawAfter, rawSmallRows: rawSmall, oneSender },
    },
    {
      id: 'orders-ingest-one',
      scenario: `    (info) one sender, a batch at a time`,
      eventloom: { value: oneSender.rate, unit: 'orders/s' },
      raw: { value: rawRate, unit: 'rows/s', label: 'order-sized rows, 100/batch, 8 in flight' },
      ratio: oneSender.rate / rawRate,
      details: oneSender,
    },
    {
      id: 'orders-ingest-small',
      scenario: `    (info) ${senders} senders vs raw rows of an Incremented event`,
      eventloom: { value: ingest.rate, unit: 'orders/s' },
      raw: { value: rawSmall, unit: 'rows/s', label: 'small rows, 100/batch, 8 in flight' },
      ratio: ingest.rate / rawSmall,
      details: { rawSmallRows: rawSmall },
    },
  );

  // --- 2. order → dashboard visible, and 3. category cache, on one runtime with workers
  const bench = await startRuntime(ctx.connectionString, prefix, { workers: true, contexts });
  try {
    await bench.runtime.seed();
    const context = bench.runtime.context('orders');
    const seenIn = new Map<string, Map<string, number>>(); // projection → event id → time
    const stop = await bench.runtime.bus.subscribe(channels.viewChanged('reporting'), (message) => {
      const change = message as ViewChange;
      const now = performance.now();
      let seen = seenIn.get(change.projection);
      if (!seen) seenIn.set(change.projection, (seen = new Map()));
      for (const id of change.eventIds) seen.set(id, now);
    });
    const visibleAt = async (id: string, projection: string, deadline: number) => {
      while (performance.now() < deadline) {
        const at = seenIn.get(projection)?.get(id);
        if (at !== undefined) return at;
        await sleep(2);
      }
      return undefined;
    };
    const make = orderItems(12);
    // Warm-up: a few orders all the way to the dashboard.
    for (const item of make(5)) {
      const [result] = await context.ingest([item], { principal });
      await visibleAt(result!.event!.id, 'orderWindows', performance.now() + 60_000);
    }
    const rate = 50;
    const durationMs = ctx.quick ? 5000 : 15_000;
    const total = Math.round((rate * durationMs) / 1000);
    const items = make(total);
    const visible: number[] = [];
    const salesVisible: number[] = [];
    let timeouts = 0;
    const { achieved, errors } = await openLoop(rate, total, async (i, due) => {
      const [result] = await context.ingest([items[i]!], { principal });
      const id = result!.event!.id;
      const at = await visibleAt(id, 'orderWindows', performance.now() + 15_000);
      if (at === undefined) timeouts++;
      else visible.push(at - due);
      const sales = seenIn.get('sales')?.get(id);
      if (sales !== undefined) salesVisible.push(sales - due);
    });
    await stop();
    const p50 = percentile(visible, 50);
    const p99 = percentile(visible, 99);
    ctx.log(
      `${total} single-order ingests at ${round(achieved, 1)}/s: ${visible.length} on the dashboard (orderWindows), ${timeouts} timeouts, ${errors} errors; ` +
        `p50 ${round(p50)} ms p99 ${round(p99)} ms (sales view p50 ${round(percentile(salesVisible, 50))} ms)`,
    );
    const ok = timeouts === 0 && errors === 0;
    const rawFigure = { value: rawP50, unit: 'ms', label: 'p50 raw insert' };
    const details = { rate, durationMs, sent: total, achievedSendRate: achieved, visible: visible.length, timeouts, errors, p50, p90: percentile(visible, 90), p99, salesP50: percentile(salesVisible, 50), salesP99: percentile(salesVisible, 99), rawP50 };
    rows.push(
      {
        id: 'orders-dashboard-p50',
        scenario: `O2. order→dashboard (orderWindows) p50 @ ${rate}/s`,
        eventloom: { value: p50, unit: 'ms' },
        raw: rawFigure,
        ratio: ok ? p50 / rawP50 : Number.NaN,
        details,
      },
      {
        id: 'orders-dashboard-p99',
        scenario: `    order→dashboard p99${ok ? '' : ` (${timeouts} timeouts, ${errors} errors)`}`,
        eventloom: { value: p99, unit: 'ms' },
        raw: rawFigure,
        ratio: ok ? p99 / rawP50 : Number.NaN,
        details,
      },
    );

    // 3. Category reads: L1 (this process's cache, warm), L2 (a fresh cache per round on the same namespace: cold L1, warm Redis).
    const cache = await categoryCacheOf(context);
    const ids = demoCatalog.categories.map((c) => c.id);
    const until = performance.now() + 30_000;
    while ((await cache.get(ids[0]!)) === null && performance.now() < until) await sleep(200);
    for (const id of ids) await cache.get(id);
    const l1: number[] = [];
    for (let i = 0; i < (ctx.quick ? 2000 : 10_000); i++) {
      const started = performance.now();
      await cache.get(ids[i % ids.length]!);
      l1.push(performance.now() - started);
    }
    const before = cache.stats();
    const l2: number[] = [];
    const table = new CategoryTable(liveViewTable(context, 'Categories'));
    const namespace = `eventloom:cache:${(await table.name()).replace(/G\d+$/, '')}`;
    for (let round = 0; round < (ctx.quick ? 3 : 8); round++) {
      const fresh = new CategoryCache({ table, bus: context.bus, log: context.log, redisUrl: redisUrlOf(context), namespace, watchIntervalMs: 60_000, ttlSeconds: 300 });
      try {
        await fresh.start();
        for (const id of ids) {
          const started = performance.now();
          await fresh.get(id);
          l2.push(performance.now() - started);
        }
        const stats = fresh.stats();
        if (stats.hits.l2 !== ids.length) ctx.log(`(fresh cache round ${round}: ${stats.hits.l2} L2 hits, ${stats.misses} misses of ${ids.length})`);
      } finally {
        await fresh.close();
      }
    }
    const l1P50 = percentile(l1, 50);
    const l2P50 = percentile(l2, 50);
    ctx.log(`category get: L1 p50 ${round(l1P50, 4)} ms (${before.hits.l1} L1 hits), L2 p50 ${round(l2P50, 3)} ms; raw point read p50 ${round(rawReadP50)} ms`);
    const readRaw = { value: rawReadP50, unit: 'ms', label: 'p50 raw point read' };
    rows.push(
      {
        id: 'orders-cache-l1',
        scenario: `O3. category read, cache L1 (speed-up = raw ÷ L1)`,
        eventloom: { value: l1P50, unit: 'ms' },
        raw: readRaw,
        ratio: rawReadP50 / l1P50,
        target: { op: '>=', value: 500 },
        details: { samples: l1.length, p99: percentile(l1, 99), stats: before },
      },
      {
        id: 'orders-cache-l2',
        scenario: `    category read, cold L1 → Redis L2 (speed-up)`,
        eventloom: { value: l2P50, unit: 'ms' },
        raw: readRaw,
        ratio: rawReadP50 / l2P50,
        details: { samples: l2.length, p99: percentile(l2, 99) },
      },
    );
    return rows;
  } finally {
    await closeCategoryCache(bench.runtime.context('orders')).catch(() => undefined);
    await bench.close();
  }
}
