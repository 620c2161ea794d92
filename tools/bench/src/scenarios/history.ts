import { TableClient } from '@azure/data-tables';
import { counterContext, counterRelayOnly, incremented, metadata, principal, startRuntime } from '../env.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { http, percentile, round, sleep } from '../util.ts';
import { mapLimit } from '../../../../packages/core/src/worker/map-limit.ts';
import { until } from './rebuild.ts';
import { rawBatches } from './relay.ts';

/**
 * H. Costs that must not grow with history (issue 14): the same operations measured on
 * one store at 1× history (20,000 events; 2,000 quick) and again after it grew to 10×.
 *
 * History grows the way a busy context's does: new streams of 99 events each (appended
 * with workers off, then placed by a relay-only runtime and applied by the projection),
 * and keyed ingestion into one partition, a commit per event (a tenth of the events). At each size:
 *
 * - storage requests per operation (counted on the HTTP client, machine-independent) for
 *   a warm command, the first command after a start (cold state), the first keyed ingest
 *   after a start, `stats()` from a process without workers, the feed head from a fresh
 *   reader and the newest feed page;
 * - latency p50 of a warm command and of command → view visible, each divided by how
 *   much the raw SDK's own insert and point read slowed on the same, grown tables
 *   (Azurite's table service slows as a table grows; that is not ours to count);
 * - the relay's rate over the growth backlog (9× the first one) against its rate over
 *   the first, and against raw 100-row batch inserts in the same run.
 *
 * Each row's ratio is the figure at 10× ÷ the figure at 1× (lower is better; ≤ 1.2
 * passes), except the relay rows (higher is better).
 */
export async function historyScenario(ctx: ScenarioContext): Promise<Row[]> {
  const base = ctx.quick ? 2_000 : 20_000;
  const prefix = ctx.prefix('h');
  const busNamespace = `bench:${prefix}`;
  const history = { streams: 0, keyed: 0, total: 0 };

  const grow = async (to: number) => {
    const keyedTarget = Math.round(to / 10);
    const streamsTarget = Math.ceil((to - keyedTarget) / 99);
    const started = performance.now();
    const writer = await startRuntime(ctx.connectionString, prefix, { workers: false, context: counterContext, busNamespace });
    try {
      const counter = writer.runtime.context('counter');
      const from = history.streams;
      await mapLimit(
        Array.from({ length: streamsTarget - from }, (_, i) => from + i),
        32,
        (i) => writer.store.append(`counter-h${i}`, 0, Array.from({ length: 99 }, () => incremented(`h${i}`)), metadata()).then(() => undefined),
      );
      // Keyed history: one partition, one order a request (a commit each), as a busy shop ingests.
      for (let k = history.keyed; k < keyedTarget; k++) {
        await counter.ingest([{ key: `k${k}`, partition: 'hk0', event: incremented('hk0') }], { principal });
      }
    } finally {
      await writer.close();
    }
    const appended = (streamsTarget - history.streams) * 99 + (keyedTarget - history.keyed);
    history.streams = streamsTarget;
    history.keyed = keyedTarget;
    history.total = streamsTarget * 99 + keyedTarget;
    const preloadSeconds = (performance.now() - started) / 1000;

    // Placement alone (relay-only runtime), then the projection catches up.
    const relayStarted = performance.now();
    const relay = await startRuntime(ctx.connectionString, prefix, { workers: true, context: counterRelayOnly, busNamespace });
    try {
      await until(relay, (s) => s.feedHead >= history.total, relayStarted + 600_000, 'relay to place the backlog');
    } finally {
      await relay.close();
    }
    const relaySeconds = (performance.now() - relayStarted) / 1000;
    const catchUpStarted = performance.now();
    const follower = await startRuntime(ctx.connectionString, prefix, { workers: true, context: counterContext, busNamespace });
    try {
      await until(follower, (s) => (s.projections.find((p) => p.name === 'counters')?.checkpoint ?? 0) >= history.total, catchUpStarted + 600_000, 'projection to catch up');
    } finally {
      await follower.close();
    }
    const catchUpSeconds = (performance.now() - catchUpStarted) / 1000;
    const relayRate = appended / relaySeconds;
    ctx.log(
      `history ${history.total.toLocaleString('en-US')} events (${history.streams} streams, ${history.keyed} keyed): +${appended} appended in ${round(preloadSeconds, 1)} s, ` +
        `placed in ${round(relaySeconds, 1)} s (${round(relayRate, 0)} ev/s), applied in ${round(catchUpSeconds, 1)} s`,
    );
    return { appended, relayRate, relaySeconds, preloadSeconds, catchUpSeconds };
  };

  const firstGrowth = await grow(base);
  const rawBefore = await rawBatches(ctx, ctx.quick ? 1500 : 3000, 1);
  const atBase = await measure(ctx, prefix, busNamespace, history.streams);
  const secondGrowth = await grow(base * 10);
  const rawAfter = await rawBatches(ctx, ctx.quick ? 1500 : 3000, 1);
  const atTen = await measure(ctx, prefix, busNamespace, history.streams);
  const rawBatchRate = (rawBefore + rawAfter) / 2;
  const details = { history: { ...history }, firstGrowth, secondGrowth, rawBatchRate, atBase, atTen };

  const rawInsertGrowth = atTen.raw.insertP50 / atBase.raw.insertP50;
  const rawReadGrowth = atTen.raw.readP50 / atBase.raw.readP50;
  ctx.log(`the raw SDK on the grown tables: insert p50 ${round(atBase.raw.insertP50)} → ${round(atTen.raw.insertP50)} ms (×${round(rawInsertGrowth)}), point read p50 ${round(atBase.raw.readP50)} → ${round(atTen.raw.readP50)} ms (×${round(rawReadGrowth)})`);
  const requests = (id: string, what: string, key: keyof Measured['requests']): Row => ({
    id: `history-${id}`,
    scenario: `H. ${what}: storage requests at 10× ÷ 1× history`,
    eventloom: { value: atTen.requests[key], unit: 'req', label: '10×' },
    raw: { value: atBase.requests[key], unit: 'req', label: '1×' },
    ratio: atTen.requests[key] / atBase.requests[key],
    target: { op: '<=', value: 1.2 },
    details,
  });
  const latency = (id: string, what: string, key: keyof Measured['latency'], rawGrowth: number, rawWhat: string): Row => {
    const growth = atTen.latency[key] / atBase.latency[key];
    return {
      id: `history-${id}`,
      scenario: `H. ${what}: p50 at 10× ÷ 1× history, ÷ the raw ${rawWhat}'s own ×${round(rawGrowth)}`,
      eventloom: { value: atTen.latency[key], unit: 'ms', label: `10×, ×${round(growth)}` },
      raw: { value: atBase.latency[key], unit: 'ms', label: '1×' },
      ratio: growth / rawGrowth,
      target: { op: '<=', value: 1.2 },
      details,
    };
  };
  return [
    requests('command', 'warm command', 'command'),
    requests('first-command', 'first command after a start', 'firstCommand'),
    requests('first-ingest', 'first keyed ingest after a start', 'firstIngest'),
    requests('stats', 'stats() without workers', 'stats'),
    requests('feed-head', 'feed head from a fresh reader', 'feedHead'),
    requests('feed-page', 'newest feed page (100)', 'feedPage'),
    latency('command-p50', 'warm command', 'command', rawInsertGrowth, 'insert'),
    latency('view-p50', 'command → view visible', 'view', rawInsertGrowth, 'insert'),
    {
      id: 'history-relay-growth',
      scenario: `H. relay over the growth backlog (${secondGrowth.appended.toLocaleString('en-US')} events) ÷ over the first (${firstGrowth.appended.toLocaleString('en-US')})`,
      eventloom: { value: secondGrowth.relayRate, unit: 'ev/s', label: 'growth backlog' },
      raw: { value: firstGrowth.relayRate, unit: 'ev/s', label: 'first backlog' },
      ratio: secondGrowth.relayRate / firstGrowth.relayRate,
      target: { op: '>=', value: 0.8 },
      details,
    },
    {
      id: 'history-relay-raw',
      scenario: `H. relay over the growth backlog ÷ raw 100-row batch inserts (one in flight)`,
      eventloom: { value: secondGrowth.relayRate, unit: 'ev/s' },
      raw: { value: rawBatchRate, unit: 'rows/s' },
      ratio: secondGrowth.relayRate / rawBatchRate,
      target: { op: '>=', value: 0.6 },
      details,
    },
  ];
}

interface Measured {
  requests: { command: number; firstCommand: number; firstIngest: number; stats: number; feedHead: number; feedPage: number };
  latency: { command: number; view: number };
  raw: { insertP50: number; readP50: number };
}

/** Requests counted around one piece of work of this process (nothing else runs then: workers off). */
async function counted<T>(work: () => Promise<T>): Promise<{ result: T; requests: number; ms: number }> {
  const before = http.requests;
  const started = performance.now();
  const result = await work();
  return { result, requests: http.requests - before, ms: performance.now() - started };
}

const median = (values: number[]) => percentile(values, 50);

async function measure(ctx: ScenarioContext, prefix: string, busNamespace: string, streams: number): Promise<Measured> {
  const samples = ctx.quick ? 3 : 5;
  const stream = (i: number) => `h${(i * 7919) % streams}`;

  // Cold: a fresh process (workers off) per sample; its first command, ingest, stats, feed head and page.
  const first = { command: [] as number[], ingest: [] as number[], stats: [] as number[], feedHead: [] as number[], feedPage: [] as number[] };
  for (let s = 0; s < samples; s++) {
    const fresh = await startRuntime(ctx.connectionString, prefix, { workers: false, context: counterContext, busNamespace });
    try {
      const counter = fresh.runtime.context('counter');
      first.feedHead.push((await counted(() => counter.feed.head())).requests);
      const head = await counter.feed.head();
      first.feedPage.push((await counted(() => counter.readFeed(Math.max(0, head - 100), 100))).requests);
      first.command.push((await counted(() => counter.execute('counter', 'increment', { id: stream(1000 + s), by: 1 }, { principal }))).requests);
      first.ingest.push(
        (await counted(() => counter.ingest([{ key: `m${streams}-${s}-${Math.random()}`, partition: 'hk0', event: incremented('hk0') }], { principal }))).requests,
      );
      first.stats.push((await counted(() => fresh.runtime.stats())).requests);
    } finally {
      await fresh.close();
    }
  }

  // Warm commands (workers off: only the command path) and command → view (workers on).
  const warm = await startRuntime(ctx.connectionString, prefix, { workers: false, context: counterContext, busNamespace });
  const warmRequests: number[] = [];
  const warmMs: number[] = [];
  try {
    const counter = warm.runtime.context('counter');
    for (let i = 0; i < 20; i++) await counter.execute('counter', 'increment', { id: stream(i), by: 1 }, { principal });
    for (let i = 0; i < (ctx.quick ? 100 : 300); i++) {
      const { requests, ms } = await counted(() => counter.execute('counter', 'increment', { id: stream(i % 20), by: 1 }, { principal }));
      warmRequests.push(requests);
      warmMs.push(ms);
    }
  } finally {
    await warm.close();
  }
  const live = await startRuntime(ctx.connectionString, prefix, { workers: true, context: counterContext, busNamespace });
  const viewMs: number[] = [];
  try {
    const counter = live.runtime.context('counter');
    await until(live, (s) => (s.projections.find((p) => p.name === 'counters')?.state ?? '') === 'live', performance.now() + 60_000, 'projection to go live');
    for (let i = 0; i < 20; i++) await counter.waitForViews(await counter.execute('counter', 'increment', { id: stream(100 + i), by: 1 }, { principal }), 10_000);
    for (let i = 0; i < (ctx.quick ? 60 : 200); i++) {
      const started = performance.now();
      const accepted = await counter.execute('counter', 'increment', { id: stream(100 + (i % 20)), by: 1 }, { principal });
      if (await counter.waitForViews(accepted, 10_000)) viewMs.push(performance.now() - started);
      await sleep(5);
    }
  } finally {
    await live.close();
  }

  // The raw SDK on the same grown tables: an insert into the events table, a point read of the feed.
  const tableName = (name: string) => live.runtime.storage.tableName('counter', name);
  const events = TableClient.fromConnectionString(ctx.connectionString, tableName('Events'), { allowInsecureConnection: true });
  const feed = TableClient.fromConnectionString(ctx.connectionString, tableName('Feed'), { allowInsecureConnection: true });
  const feedRows: { partitionKey: string; rowKey: string }[] = [];
  for await (const row of feed.listEntities({ queryOptions: { select: ['PartitionKey', 'RowKey'] } }).byPage({ maxPageSize: 200 })) {
    feedRows.push(...row.map((r) => ({ partitionKey: r.partitionKey!, rowKey: r.rowKey! })));
    break;
  }
  const insertMs: number[] = [];
  const readMs: number[] = [];
  const rawPartition = `raw-${streams}`;
  for (let i = 0; i < (ctx.quick ? 100 : 300); i++) {
    let started = performance.now();
    await events.createEntity({ partitionKey: rawPartition, rowKey: String(i).padStart(10, '0'), data: JSON.stringify({ by: 1 }) });
    insertMs.push(performance.now() - started);
    const row = feedRows[i % feedRows.length]!;
    started = performance.now();
    await feed.getEntity(row.partitionKey, row.rowKey);
    readMs.push(performance.now() - started);
  }

  const result: Measured = {
    requests: {
      command: median(warmRequests),
      firstCommand: median(first.command),
      firstIngest: median(first.ingest),
      stats: median(first.stats),
      feedHead: median(first.feedHead),
      feedPage: median(first.feedPage),
    },
    latency: { command: median(warmMs), view: median(viewMs) },
    raw: { insertP50: median(insertMs), readP50: median(readMs) },
  };
  ctx.log(`at ${streams} streams: requests ${JSON.stringify(result.requests)}; p50 ms ${JSON.stringify({ command: round(result.latency.command), view: round(result.latency.view), rawInsert: round(result.raw.insertP50), rawRead: round(result.raw.readP50) })}`);
  return result;
}
