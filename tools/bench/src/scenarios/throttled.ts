import { Feed, Storage } from '@eventloom/core';
import { compareFeedWithStore, storeEvents, wholeFeed } from '@eventloom/core/testing';
import { startThrottle } from '@eventloom/throttle';
import type { Row, ScenarioContext } from '../report.ts';
import { backlog } from './relay.ts';

/** Entities per second a feed partition may take here: low enough that Azurite is not the limit on this machine. */
const partitionRate = 1_000;

/**
 * T. The feed behind Azure Table's limits (issue 12): the relay fills a backlog through
 * the throttle (`tools/throttle`), which refuses with 503 ServerBusy what a real
 * account's partition would (scaled to `partitionRate` entities/s so that Azurite on this
 * machine is not what limits). A context's feed is one partition at a time (P = 1), so
 * the relay can place at most `partitionRate` events/s however many streams write; the
 * ratio is its rate to that ceiling. Every event must still be in the feed once.
 */
export async function throttledScenario(ctx: ScenarioContext): Promise<Row[]> {
  const throttle = await startThrottle({ target: ctx.connectionString, partitionRate, accountRate: 20_000 });
  try {
    const size = ctx.quick ? { streams: 50, events: 100 } : { streams: 200, events: 100 };
    const through = throttle.connectionString(ctx.connectionString);
    const result = await backlog(ctx, size.streams, size.events, ctx.quick ? 60_000 : 120_000, through);
    const stats = throttle.stats();
    // From the first placed entry on: start-up (lease, recovery) is not what this row is about.
    const rate = result.total / (result.seconds - (result.firstEntrySeconds ?? 0));
    const storage = new Storage(ctx.connectionString, result.prefix);
    const check = compareFeedWithStore(await storeEvents(storage, 'counter'), await wholeFeed(new Feed(storage, 'counter')));
    ctx.log(`through the throttle at ${partitionRate}/s per partition: ${Math.round(rate)} ev/s from the first entry; ServerBusy ${stats.refused} (partition ${stats.refusedByPartition}, account ${stats.refusedByAccount}); feed check: ${check.problems.length === 0 ? `every one of ${check.feedCount} events once` : check.problems.slice(0, 3).join('; ')}`);
    return [
      {
        id: 'throttled-p1',
        scenario: `T1. feed behind Azure's partition limit, P = 1 (${result.total.toLocaleString('en-US')} events)`,
        eventloom: { value: rate, unit: 'ev/s', label: `${stats.refused} ServerBusy, ${check.problems.length === 0 ? 'feed exact' : 'FEED WRONG'}` },
        raw: { value: partitionRate, unit: 'ev/s', label: 'P × partition limit' },
        ratio: check.problems.length === 0 ? rate / partitionRate : Number.NaN,
        target: { op: '>=', value: 0.8 },
        details: { ...result, throttle: stats, feedProblems: check.problems.slice(0, 10) },
      },
    ];
  } finally {
    await throttle.close();
  }
}

