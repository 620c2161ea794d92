import { TableClient } from '@azure/data-tables';
import { counterContext, counterRelayOnly, incremented, metadata, startRuntime, type BenchRuntime } from '../env.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { round, sleep } from '../util.ts';
import { mapLimit } from '../../../../packages/core/src/worker/map-limit.ts';

const mib = (bytes: number) => bytes / 2 ** 20;

/**
 * Rebuild of the counter context's `counters` projection over ≥ 200,000 events
 * (20,000 quick): preloaded with EventStore appends of 99 events (workers off), relayed
 * into the feed by a relay-only runtime, then a runtime with the projection catches up
 * live; then `rebuilds.request` → status `done` is timed. Reference: a raw SDK full
 * scan (`listEntities`) of the same feed table, rows/s. Peak RSS of this process is
 * sampled during the rebuild.
 */
export async function rebuildScenario(ctx: ScenarioContext): Promise<Row[]> {
  const target = ctx.quick ? 20_000 : 200_000;
  const perStream = 5 * 99;
  const streams = Math.ceil(target / perStream);
  const total = streams * perStream;
  const prefix = ctx.prefix('rb');

  const preloadStarted = performance.now();
  const writer = await startRuntime(ctx.connectionString, prefix, { workers: false, context: counterContext });
  try {
    await mapLimit(
      Array.from({ length: streams }, (_, i) => i),
      32,
      async (i) => {
        for (let version = 0; version < perStream; version += 99) {
          await writer.store.append(`counter-rb${i}`, version, Array.from({ length: 99 }, () => incremented(`rb${i}`)), metadata());
        }
      },
    );
  } finally {
    await writer.close();
  }
  const preloadSeconds = (performance.now() - preloadStarted) / 1000;
  ctx.log(`preloaded ${streams} streams × ${perStream} = ${total} events in ${round(preloadSeconds, 1)} s (${round(total / preloadSeconds, 0)} ev/s)`);

  const relayStarted = performance.now();
  const relay = await startRuntime(ctx.connectionString, prefix, { workers: true, context: counterRelayOnly });
  try {
    await until(relay, (s) => s.feedHead >= total, relayStarted + (ctx.quick ? 120_000 : 300_000), 'relay to fill the feed');
  } finally {
    await relay.close();
  }
  const relaySeconds = (performance.now() - relayStarted) / 1000;
  ctx.log(`relay filled the feed: ${total} entries in ${round(relaySeconds, 1)} s (${round(total / relaySeconds, 0)} ev/s)`);

  const bench = await startRuntime(ctx.connectionString, prefix, { workers: true, context: counterContext });
  try {
    const catchUpStarted = performance.now();
    await until(bench, (s) => (s.projections.find((p) => p.name === 'counters')?.checkpoint ?? 0) >= total, catchUpStarted + (ctx.quick ? 120_000 : 300_000), 'live projection to catch up');
    const catchUpSeconds = (performance.now() - catchUpStarted) / 1000;
    ctx.log(`live projection caught up over ${total} events in ${round(catchUpSeconds, 1)} s (${round(total / catchUpSeconds, 0)} ev/s)`);

    // Raw reference: a full scan of the feed table with the SDK.
    const feedTable = TableClient.fromConnectionString(ctx.connectionString, bench.runtime.storage.tableName('counter', 'Feed'), { allowInsecureConnection: true });
    const scan = async () => {
      const started = performance.now();
      let rows = 0;
      for await (const _ of feedTable.listEntities()) rows++;
      return { rows, rate: rows / ((performance.now() - started) / 1000) };
    };
    const scanBefore = await scan();

    const context = bench.runtime.context('counter');
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => void (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
    const profiler = await startProfile();
    const started = performance.now();
    let record = await context.rebuilds.request('counters', 'admin');
    const deadline = started + (ctx.quick ? 120_000 : 300_000);
    while (record.state !== 'done' && record.state !== 'failed' && record.state !== 'cancelled' && performance.now() < deadline) {
      await sleep(50);
      record = (await context.rebuilds.status('counters')) ?? record;
    }
    const seconds = (performance.now() - started) / 1000;
    await profiler?.stop(ctx);
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const maxRssLifetime = process.resourceUsage().maxRSS * 1024;
    const scanAfter = await scan();
    const rawRate = (scanBefore.rate + scanAfter.rate) / 2;
    const rate = total / seconds;
    const done = record.state === 'done';
    ctx.log(
      `rebuild ${record.state} in ${round(seconds, 2)} s → ${round(rate, 0)} ev/s (runner says ${round(record.eventsPerSecond ?? Number.NaN, 0)} ev/s, ${record.done ?? '?'}/${record.total ?? '?'}); ` +
        `raw full scan of the feed (${scanBefore.rows} rows): ${round(scanBefore.rate, 0)} / ${round(scanAfter.rate, 0)} rows/s`,
    );
    ctx.log(`RSS: ${round(mib(rssBefore), 0)} MiB before, peak ${round(mib(rssPeak), 0)} MiB during the rebuild; process maxRSS (lifetime) ${round(mib(maxRssLifetime), 0)} MiB`);
    const details = { total, streams, preloadSeconds, relaySeconds, catchUpSeconds, seconds, record, scanBefore, scanAfter, rssBefore, rssPeak, maxRssLifetime };
    return [
      {
        id: 'rebuild-rate',
        scenario: `R1. rebuild counters over ${total.toLocaleString('en-US')} events (request→done)${done ? '' : ` — ${record.state}`}`,
        eventloom: { value: rate, unit: 'ev/s' },
        raw: { value: rawRate, unit: 'rows/s', label: 'SDK full scan of the feed' },
        ratio: done ? rate / rawRate : Number.NaN,
        target: { op: '>=', value: 0.9 },
        details,
      },
      {
        id: 'rebuild-rss',
        scenario: `    bench process RSS growth during the rebuild (peak − before; allowed 100 MiB)`,
        eventloom: { value: mib(rssPeak - rssBefore), unit: 'MiB', label: `peak ${round(mib(rssPeak), 0)}, maxRSS ${round(mib(maxRssLifetime), 0)}` },
        raw: { value: 100, unit: 'MiB', label: 'allowed' },
        ratio: (rssPeak - rssBefore) / (100 * 2 ** 20),
        target: { op: '<=', value: 1 },
        details,
      },
    ];
  } finally {
    await bench.close();
  }
}

/** Polls the runtime's stats until `done` holds, or throws naming what it waited for. */
export async function until(bench: BenchRuntime, done: (stats: { feedHead: number; projections: { name: string; checkpoint: number; state: string }[] }) => boolean, deadline: number, what: string): Promise<void> {
  while (performance.now() < deadline) {
    const [stats] = await bench.runtime.stats();
    if (stats && done(stats)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for the ${what}`);
}

/** With BENCH_PROFILE_DIR set, the rebuild alone is profiled (node:inspector) into that folder. */
async function startProfile(): Promise<{ stop(ctx: ScenarioContext): Promise<void> } | undefined> {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return undefined;
  const { Session } = await import('node:inspector/promises');
  const { mkdir, writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(ctx) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(dir, { recursive: true });
      const file = `${dir}/rebuild-${Date.now()}.cpuprofile`;
      await writeFile(file, JSON.stringify(profile));
      ctx.log(`rebuild CPU profile: ${file}`);
    },
  };
}
