import { incremented, metadata, principal, startRuntime, type BenchRuntime } from '../env.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { percentile, round, sleep } from '../util.ts';
import { Snapshots } from '../../../../packages/core/src/store/snapshots.ts';
import { Storage } from '../../../../packages/core/src/store/storage.ts';

const longLength = 10_000;
const shortLength = 10;

/**
 * 4. Command latency on a 10,000-event stream vs a 10-event stream.
 *    Preload: EventStore.append, 99 events per append (no snapshot is written that way),
 *    to 9,999 and 9 events; then one `execute` on each through a runtime — the long one
 *    replays all 9,999 events (reported as "no snapshot") and, being ≥ 100 events past
 *    the last snapshot, saves one at 10,000. The bench waits until that snapshot is readable.
 *    Then fresh runtimes (cold state cache): the first execute on each stream (snapshot +
 *    tail for the long one, a 10-event replay for the short one), median over several fresh
 *    runtimes; then the steady-state p50 (state cached; each execute = tail query + insert).
 *    Runtimes here run with workers off: only the command path is measured.
 */
export async function longStreamScenario(ctx: ScenarioContext): Promise<Row[]> {
  const prefix = ctx.prefix('s');
  const long = { id: 'long', stream: 'counter-long' };
  const short = { id: 'short', stream: 'counter-short' };
  const freshRuntimes = ctx.quick ? 3 : 5;
  const steadyCommands = ctx.quick ? 40 : 150;

  const preloadStarted = performance.now();
  const loader = await startRuntime(ctx.connectionString, prefix, { workers: false });
  let noSnapshot: { long: number; short: number };
  try {
    for (const { id, stream, length } of [
      { ...long, length: longLength - 1 },
      { ...short, length: shortLength - 1 },
    ]) {
      for (let version = 0; version < length; ) {
        const n = Math.min(99, length - version);
        await loader.store.append(stream, version, Array.from({ length: n }, () => incremented(id)), metadata());
        version += n;
      }
    }
    ctx.log(`preloaded ${longLength - 1} + ${shortLength - 1} events in ${round((performance.now() - preloadStarted) / 1000, 1)} s`);
    await timeExecute(loader, 'warm'); // connections, table clients
    // The first command on each: no snapshot exists, so the long one replays everything.
    noSnapshot = { long: await timeExecute(loader, long.id), short: await timeExecute(loader, short.id) };
    ctx.log(`first execute, no snapshot: long (replays ${longLength - 1}) ${round(noSnapshot.long, 1)} ms, short ${round(noSnapshot.short, 1)} ms`);
  } finally {
    await loader.close();
  }

  const storage = new Storage(ctx.connectionString, prefix);
  const snapshots = new Snapshots(() => storage.container('counter'));
  const snapshotVersion = async () => (await snapshots.load<unknown>('counter', long.stream))?.version ?? 0;
  for (let i = 0; i < 100 && (await snapshotVersion()) < longLength; i++) await sleep(50);
  const saved = await snapshotVersion();
  if (saved < longLength) throw new Error(`no snapshot of ${long.stream} at ${longLength} (found ${saved})`);
  ctx.log(`snapshot of ${long.stream} saved at version ${saved}`);

  const cold = { long: [] as number[], short: [] as number[], tails: [] as number[] };
  let steady = { long: [] as number[], short: [] as number[] };
  for (let r = 0; r < freshRuntimes; r++) {
    const snapshotAt = await snapshotVersion();
    const bench = await startRuntime(ctx.connectionString, prefix, { workers: false });
    try {
      const version = (await bench.runtime.context('counter').readStream(long.stream, { fromVersion: snapshotAt + 1 })).length;
      cold.tails.push(version);
      // Alternate which stream goes first, so warming the connection pool favours neither.
      const order = r % 2 === 0 ? [long, short] : [short, long];
      for (const s of order) cold[s.id as 'long' | 'short'].push(await timeExecute(bench, s.id));
      if (r === freshRuntimes - 1) {
        steady = { long: [], short: [] };
        for (let i = 0; i < steadyCommands; i++) {
          for (const s of i % 2 === 0 ? [long, short] : [short, long]) steady[s.id as 'long' | 'short'].push(await timeExecute(bench, s.id));
        }
      }
    } finally {
      await bench.close();
    }
  }
  const coldLong = percentile(cold.long, 50);
  const coldShort = percentile(cold.short, 50);
  const steadyLong = percentile(steady.long, 50);
  const steadyShort = percentile(steady.short, 50);
  ctx.log(`cold first execute (median of ${freshRuntimes} fresh runtimes): long ${round(coldLong, 1)} ms [${cold.long.map((x) => round(x, 1)).join(', ')}], short ${round(coldShort, 1)} ms [${cold.short.map((x) => round(x, 1)).join(', ')}]; tail after snapshot: ${cold.tails.join(', ')} events`);
  ctx.log(`steady p50 (${steadyCommands} each): long ${round(steadyLong, 2)} ms, short ${round(steadyShort, 2)} ms; p99 long ${round(percentile(steady.long, 99), 1)} ms, short ${round(percentile(steady.short, 99), 1)} ms`);

  const details = {
    lengths: { long: longLength, short: shortLength },
    noSnapshot,
    cold,
    coldMedian: { long: coldLong, short: coldShort },
    steadyP50: { long: steadyLong, short: steadyShort },
    steadyP99: { long: percentile(steady.long, 99), short: percentile(steady.short, 99) },
    freshRuntimes,
    steadyCommands,
    workers: false,
  };
  return [
    {
      id: 'long-steady',
      scenario: `4. execute p50, 10,000- vs 10-event stream, steady (state cached)`,
      eventloom: { value: steadyLong, unit: 'ms' },
      raw: { value: steadyShort, unit: 'ms', label: '10-event stream' },
      ratio: steadyLong / steadyShort,
      target: { op: '<=', value: 1.5 },
      details,
    },
    {
      id: 'long-cold',
      scenario: `   first execute, fresh runtime: snapshot + tail vs 10-event replay`,
      eventloom: { value: coldLong, unit: 'ms' },
      raw: { value: coldShort, unit: 'ms', label: '10-event stream' },
      ratio: coldLong / coldShort,
      target: { op: '<=', value: 1.5 },
      details,
    },
    {
      id: 'long-no-snapshot',
      scenario: `   (info) first execute with no snapshot (replays 9,999 events)`,
      eventloom: { value: noSnapshot.long, unit: 'ms' },
      raw: { value: noSnapshot.short, unit: 'ms', label: '10-event stream' },
      ratio: noSnapshot.long / noSnapshot.short,
      details,
    },
  ];
}

async function timeExecute(bench: BenchRuntime, id: string): Promise<number> {
  const counter = bench.runtime.context('counter');
  const started = performance.now();
  await counter.execute('counter', 'increment', { id, by: 1 }, { principal });
  return performance.now() - started;
}
