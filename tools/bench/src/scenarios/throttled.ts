import { Feed, MergedFeed, MergeJournal, partitionOf, Storage, type FeedReader } from '@eventloom/core';
import { compareFeedWithStore, comparePartitions, storeEvents, wholeFeed } from '@eventloom/core/testing';
import { startThrottle } from '@eventloom/throttle';
import { counterRelayOnly } from '../env.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { round } from '../util.ts';
import { backlog } from './relay.ts';

/** The feed partition counts the rows compare. */
const partitionCounts = [1, 2, 4, 8] as const;
/**
 * Entities per second a table partition may take here: Azure's 2,000 scaled down so that
 * at P = 8 the throttle, not this machine, is the limit. The same backlog without limits
 * (the info row) ran at 3,900–8,600 ev/s at P = 8 on the 2-core dev VM, depending on what
 * else ran; 8 × 250 = 2,000 stays well below that.
 */
export const partitionRate = 250;
/** The account's rate stays above P × partitionRate at every P here, so only partitions limit. */
const accountRate = 20_000;
/** The info row where the account limits instead: below 8 × partitionRate. */
const tightAccountRate = 1_500;
const eventsPerStream = 100;

type Variant = 'throttled' | 'unthrottled' | 'account';

/**
 * T. The feed behind Azure Table's limits (issue 12): a relay-only runtime fills a backlog
 * through the throttle (`tools/throttle`), which refuses with 503 ServerBusy what a real
 * account's table partition would. A feed partition is its own table, written by its own
 * relay, so P partitions may place up to P × `partitionRate` events/s; a row's ratio is the
 * merged feed's rate to that ceiling. Every partition gets the same work (streams picked
 * by their partition), and every event must be in the merged feed once and in its
 * partition once, else the ratio is NaN.
 */
export async function throttledScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const partitions of partitionCounts) rows.push(await throttledRow(ctx, partitions, 'throttled'));
  rows.push(await throttledRow(ctx, 8, 'account'));
  rows.push(await throttledRow(ctx, 8, 'unthrottled'));
  return rows;
}

/** Seconds of work at the ceiling each row's backlog holds: long beside the throttle's one-second burst. */
const workSeconds = (quick: boolean) => (quick ? 8 : 20);

async function throttledRow(ctx: ScenarioContext, partitions: number, variant: Variant): Promise<Row> {
  // Unthrottled: rates no request reaches, so the proxy only forwards (its own cost stays in).
  const limits = {
    throttled: { partitionRate, accountRate },
    account: { partitionRate, accountRate: tightAccountRate },
    unthrottled: { partitionRate: 1e9, accountRate: 1e9 },
  }[variant];
  const ceiling = Math.min(partitions * partitionRate, limits.accountRate);
  const ids = balancedIds(partitions, Math.ceil((ceiling * workSeconds(ctx.quick)) / partitions / eventsPerStream));
  const throttle = await startThrottle({ target: ctx.connectionString, ...limits });
  try {
    const result = await backlog(ctx, ids.length, eventsPerStream, ctx.quick ? 120_000 : 240_000, {
      relayConnectionString: throttle.connectionString(ctx.connectionString),
      context: { ...counterRelayOnly, feed: { partitions } },
      ids,
      // Buckets start full: a partition's first second passes at once. The rate is taken
      // once the head has passed that burst, so it is the rate the limit allows.
      mark: ceiling,
      // The poll is a request through the throttle too: at P = 1, while the relay's first
      // placement (the whole backlog) is under way, stats() asks the feed for its head, a
      // query the throttle charges 1,000 entities ($top) against the account. Every 10 ms
      // that drains the account and the refused poll reports the end late.
      pollMs: 100,
    });
    const stats = throttle.stats();
    const fromFirst = result.total / (result.seconds - (result.firstEntrySeconds ?? 0));
    const steady = result.markHead !== undefined ? (result.total - result.markHead) / (result.seconds - result.markSeconds!) : Number.NaN;
    const problems = await checkFeed(new Storage(ctx.connectionString, result.prefix), partitions);
    const exact = problems.length === 0 && result.completed;
    const verdict = exact ? 'feed exact' : 'FEED WRONG';
    const ratio = exact ? steady / ceiling : Number.NaN;
    const limit = variant === 'unthrottled' ? 'unthrottled' : `at ${partitionRate}/s per partition, ${limits.accountRate}/s per account`;
    ctx.log(
      `P = ${partitions} ${limit}: ${round(steady, 0)} ev/s after the burst, ${round(fromFirst, 0)} ev/s from the first entry; ` +
        `ServerBusy ${stats.refused} (partition ${stats.refusedByPartition}, account ${stats.refusedByAccount}); ` +
        `feed check: ${problems.length === 0 ? `every one of ${result.total} events once, in the merged feed and in its partition` : problems.slice(0, 3).join('; ')}`,
    );
    const details = { ...result, ...limits, fromFirstEntry: fromFirst, throttle: stats, feedProblems: problems.slice(0, 10) };
    const busy = `${stats.refused} ServerBusy, ${verdict}`;
    const events = result.total.toLocaleString('en-US');
    if (variant === 'unthrottled') {
      return {
        id: `unthrottled-p${partitions}`,
        scenario: `   (info) the P = ${partitions} backlog without limits: what this machine sustains`,
        eventloom: { value: steady, unit: 'ev/s', label: verdict },
        raw: { value: partitions * partitionRate, unit: 'ev/s', label: `the P = ${partitions} row's ceiling` },
        ratio,
        details,
      };
    }
    if (variant === 'account') {
      return {
        id: `throttled-account-p${partitions}`,
        scenario: `   (info) P = ${partitions} with the account at ${tightAccountRate.toLocaleString('en-US')}/s (< ${partitions} × ${partitionRate}) (${events} events)`,
        eventloom: { value: steady, unit: 'ev/s', label: `${stats.refusedByAccount} of ${busy}` },
        raw: { value: ceiling, unit: 'ev/s', label: 'account limit' },
        ratio,
        details,
      };
    }
    return {
      id: `throttled-p${partitions}`,
      scenario: `T1. feed behind a ${partitionRate}/s partition limit, P = ${partitions} (${events} events)`,
      eventloom: { value: steady, unit: 'ev/s', label: busy },
      raw: { value: ceiling, unit: 'ev/s', label: `${partitions} × partition limit` },
      ratio,
      target: { op: '>=', value: 0.8 },
      details,
    };
  } finally {
    await throttle.close();
  }
}

/** The merged feed against the store, and each partition on its own (read straight from Azurite). */
async function checkFeed(storage: Storage, partitions: number): Promise<string[]> {
  const parts = Array.from({ length: partitions }, (_, p) => new Feed(storage, 'counter', p));
  const merged: FeedReader = partitions > 1 ? new MergedFeed('counter', parts, new MergeJournal(storage, 'counter')) : parts[0]!;
  const check = compareFeedWithStore(await storeEvents(storage, 'counter'), await wholeFeed(merged));
  return [...check.problems, ...comparePartitions(await Promise.all(parts.map((part) => wholeFeed(part))))];
}

/** `perPartition` counter ids for each of P feed partitions, so every partition has the same work. */
export function balancedIds(partitions: number, perPartition: number): string[] {
  const picked = Array.from({ length: partitions }, () => [] as string[]);
  for (let i = 0; picked.some((ids) => ids.length < perPartition); i++) {
    const ids = picked[partitionOf(`counter-b${i}`, partitions)]!;
    if (ids.length < perPartition) ids.push(`b${i}`);
  }
  // Interleaved, so the writers fill every partition's commit log alike.
  return Array.from({ length: perPartition }, (_, i) => picked.map((ids) => ids[i]!)).flat();
}
