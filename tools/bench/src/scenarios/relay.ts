import type { TableClient } from '@azure/data-tables';
import type { ContextDefinition } from '@eventloom/core';
import { counterRelayOnly, eventLikeRow, incremented, metadata, rawTable, startRuntime, type BenchRuntime } from '../env.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { closedLoop, round, sleep } from '../util.ts';
import { mapLimit } from '../../../../packages/core/src/worker/map-limit.ts';

/**
 * 2. Relay → feed throughput, against raw 100-entity batch inserts (one batch in flight,
 *    like the single relay of a context; 4 in flight is recorded too).
 *    (a) a backlog of single-event streams, (b) a backlog of 100-event streams, both
 *    appended with workers off, then relayed by a fresh runtime with workers on;
 *    (c, info) the live relay while 32 writers append (hints carry the rows).
 *    The context runs without its projection so only the relay does work.
 */
export async function relayScenario(ctx: ScenarioContext): Promise<Row[]> {
  // The raw reference is measured right before and after each variant (load on a shared
  // machine drifts within a minute); each row uses the mean of its two neighbours.
  const rawMs = ctx.quick ? 1000 : 2000;
  await rawBatches(ctx, rawMs, 4); // warm-up: the SDK's code paths get compiled before anything counts
  const raws: number[] = [await rawBatches(ctx, rawMs, 1)];
  const single = ctx.quick ? { streams: 2000, events: 1 } : { streams: 5000, events: 1 };
  const batched = ctx.quick ? { streams: 10, events: 100 } : { streams: 50, events: 100 };
  const a = await backlog(ctx, single.streams, single.events, ctx.quick ? 60_000 : 150_000);
  raws.push(await rawBatches(ctx, rawMs, 1));
  const b = await backlog(ctx, batched.streams, batched.events, ctx.quick ? 60_000 : 120_000);
  raws.push(await rawBatches(ctx, rawMs, 1));
  const live = await liveRelay(ctx, ctx.quick ? 4000 : 10_000);
  raws.push(await rawBatches(ctx, rawMs, 1));
  const rawConcurrent = await rawBatches(ctx, rawMs, 4);
  ctx.log(`raw 100-entity batches, 1 in flight, around each variant: ${raws.map((r) => round(r, 0)).join(', ')} rows/s; 4 in flight: ${round(rawConcurrent, 0)} rows/s`);
  const around = (i: number) => (raws[i]! + raws[i + 1]!) / 2;
  const rawFigure = (i: number) => ({ value: around(i), unit: 'rows/s', label: '100-row batches' });
  const rawDetails = (i: number) => ({ rawBefore: raws[i], rawAfter: raws[i + 1], rawAll: raws, rawConcurrent4: rawConcurrent });
  return [
    {
      id: 'relay-single',
      scenario: `2a. relay backlog: ${single.streams.toLocaleString('en-US')} streams × 1 event`,
      eventloom: { value: a.rate, unit: 'ev/s' },
      raw: rawFigure(0),
      ratio: a.rate / around(0),
      target: { op: '>=', value: 0.5 },
      details: { ...a, ...rawDetails(0) },
    },
    {
      id: 'relay-batched',
      scenario: `2b. relay backlog: ${batched.streams} streams × ${batched.events} events`,
      eventloom: { value: b.rate, unit: 'ev/s' },
      raw: rawFigure(1),
      ratio: b.rate / around(1),
      target: { op: '>=', value: 0.5 },
      details: { ...b, ...rawDetails(1) },
    },
    {
      id: 'relay-live',
      scenario: `   (info) live relay under 32 writers (feed rate)`,
      eventloom: { value: live.feedRate, unit: 'ev/s', label: `appends ${Math.round(live.appendRate)}/s, drained +${round(live.drainSeconds, 2)} s` },
      raw: rawFigure(2),
      ratio: live.feedRate / around(2),
      details: { ...live, ...rawDetails(2) },
    },
  ];
}

/**
 * Rows/s of 100-entity transactions, `inFlight` at a time, for `durationMs`. Rows are
 * shaped like an Incremented event unless `rowOf` shapes them (same columns, other data).
 */
export async function rawBatches(ctx: ScenarioContext, durationMs: number, inFlight: number, rowOf = eventLikeRow): Promise<number> {
  const table: TableClient = await rawTable(ctx.connectionString, `${ctx.prefix('rb')}raw`);
  const next = new Array<number>(inFlight).fill(0);
  const result = await closedLoop(inFlight, durationMs, async (lane) => {
    const partition = `bucket-${lane}-${Math.floor(next[lane]! / 10_000)}`;
    const rows = Array.from({ length: 100 }, () => rowOf(partition, ++next[lane]!));
    await table.submitTransaction(rows.map((row) => ['create', row]));
  });
  return (result.ops * 100) / result.seconds;
}

interface BacklogResult {
  /** The table prefix the backlog was written under. */
  prefix: string;
  streams: number;
  eventsPerStream: number;
  total: number;
  preloadSeconds: number;
  /** From createRuntime() until the feed head reached the total (includes lease + recovery). */
  seconds: number;
  firstEntrySeconds: number | undefined;
  /** When the head first reached `options.mark`, and the head then (it moves in steps). */
  markSeconds: number | undefined;
  markHead: number | undefined;
  /** A partitioned feed's partitions: seconds until their relay first and last reported a higher head, and that head. */
  partitions?: { first?: number; last?: number; head: number }[];
  rate: number;
  completed: boolean;
}

export interface BacklogOptions {
  /** Where the relaying runtime connects (a throttle); the writer always goes straight to Azurite. */
  relayConnectionString?: string;
  /** The context both runtimes mount (default: the counter context without its projection). */
  context?: ContextDefinition;
  /** The counter ids to write, a stream each (default b0 … b{streams − 1}). */
  ids?: string[];
  /** A head to time on the way (e.g. where a throttle's initial burst is used up). */
  mark?: number;
  /** How often the head is polled (default 10 ms). */
  pollMs?: number;
}

/** A backlog appended with workers off, then relayed by a fresh runtime (through `options.relayConnectionString` when given: a throttle). */
export async function backlog(ctx: ScenarioContext, streams: number, eventsPerStream: number, timeoutMs: number, options: BacklogOptions = {}): Promise<BacklogResult> {
  const prefix = ctx.prefix('r');
  const ids = options.ids ?? Array.from({ length: streams }, (_, i) => `b${i}`);
  const context = options.context ?? counterRelayOnly;
  const total = ids.length * eventsPerStream;
  const preloadStarted = performance.now();
  // One Redis namespace for both, as runtimes of one store share it: the relay reads the
  // writer's hints even when it reaches the store by another address (a throttle).
  const busNamespace = `bench:${prefix}`;
  const writer = await startRuntime(ctx.connectionString, prefix, { workers: false, context, busNamespace });
  try {
    await mapLimit(ids, 32, async (id) => {
      const stream = `counter-${id}`;
      let version = 0;
      while (version < eventsPerStream) {
        const n = Math.min(99, eventsPerStream - version);
        await writer.store.append(stream, version, Array.from({ length: n }, () => incremented(id)), metadata());
        version += n;
      }
    });
  } finally {
    await writer.close();
  }
  const preloadSeconds = (performance.now() - preloadStarted) / 1000;
  ctx.log(`preloaded ${ids.length} × ${eventsPerStream} = ${total} events in ${round(preloadSeconds, 1)} s (workers off)`);

  const started = performance.now();
  const relay = await startRuntime(options.relayConnectionString ?? ctx.connectionString, prefix, { workers: true, context, busNamespace });
  try {
    const { head, firstAt, markAt, markHead, partitions } = await waitForHead(relay, total, started + timeoutMs, options.mark, options.pollMs);
    const seconds = (performance.now() - started) / 1000;
    const completed = head >= total;
    const rate = head / seconds;
    ctx.log(
      `relayed ${head}/${total} in ${round(seconds, 2)} s → ${round(rate, 0)} ev/s` +
        `${firstAt !== undefined ? ` (first entry after ${round(firstAt, 2)} s)` : ''}${completed ? '' : ' — TIMED OUT'}`,
    );
    return { prefix, streams: ids.length, eventsPerStream, total, preloadSeconds, seconds, firstEntrySeconds: firstAt, markSeconds: markAt, markHead, ...(partitions.length > 0 ? { partitions } : {}), rate, completed };
  } finally {
    await relay.close();
  }
}

async function feedHead(bench: BenchRuntime): Promise<number> {
  const [stats] = await bench.runtime.stats();
  return stats?.feedHead ?? 0;
}

/**
 * Polls the (merged) feed head until it reaches `total`. For a partitioned feed it also
 * notes when each partition's relay first and last reported a higher head, which shows a
 * staggered start or a slow last partition (coarse: a relay reports its head once a
 * placement, all of a step's hints, is written).
 */
async function waitForHead(bench: BenchRuntime, total: number, deadline: number, mark = Infinity, pollMs = 10) {
  const started = performance.now();
  let head = 0;
  let firstAt: number | undefined;
  let markAt: number | undefined;
  let markHead: number | undefined;
  const partitions: { first?: number; last?: number; head: number }[] = [];
  while (performance.now() < deadline) {
    const [stats] = await bench.runtime.stats();
    head = stats?.feedHead ?? 0;
    const at = (performance.now() - started) / 1000;
    for (const { partition, head: partHead } of stats?.partitions ?? []) {
      const seen = (partitions[partition] ??= { head: 0 });
      if (partHead > 0 && seen.first === undefined) seen.first = at;
      if (partHead > seen.head) [seen.head, seen.last] = [partHead, at];
    }
    if (head > 0 && firstAt === undefined) firstAt = at;
    if (head >= mark && markAt === undefined) [markAt, markHead] = [at, head];
    if (head >= total) break;
    await sleep(pollMs);
  }
  return { head, firstAt, markAt, markHead, partitions };
}

/** 32 writers append one event at a time for `durationMs` while the relay runs. */
async function liveRelay(ctx: ScenarioContext, durationMs: number) {
  const prefix = ctx.prefix('l');
  const bench = await startRuntime(ctx.connectionString, prefix, { workers: true, context: counterRelayOnly });
  try {
    const versions = new Array<number>(32).fill(0);
    const started = performance.now();
    const writes = await closedLoop(32, durationMs, async (w) => {
      await bench.store.append(`counter-live-${w}`, versions[w]!, [incremented(`live-${w}`)], metadata());
      versions[w]!++;
    });
    const total = writes.ops;
    const headAtStop = await feedHead(bench);
    const { head } = await waitForHead(bench, total, performance.now() + 60_000);
    const seconds = (performance.now() - started) / 1000;
    const drainSeconds = seconds - writes.seconds;
    const feedRate = head / seconds;
    ctx.log(
      `live: ${total} appends at ${round(writes.ops / writes.seconds, 0)}/s; feed had ${headAtStop} when writers stopped, ` +
        `${head} after ${round(drainSeconds, 2)} s more → ${round(feedRate, 0)} ev/s`,
    );
    return { appended: total, appendRate: writes.ops / writes.seconds, headAtStop, head, seconds, drainSeconds, feedRate, completed: head >= total };
  } finally {
    await bench.close();
  }
}
