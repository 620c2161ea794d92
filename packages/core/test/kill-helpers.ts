import { expect } from 'vitest';
import type { CoreConfig } from '../src/config.ts';
import { Feed } from '../src/relay/feed.ts';
import type { Runtime } from '../src/runtime.ts';
import { compareFeedWithStore, countersFromStore, countersView, local, sleep, sorted, storageOf, storeEvents, waitUntil, wholeFeed } from './helpers.ts';

export async function storedCount(cfg: CoreConfig): Promise<number> {
  let n = 0;
  for (const rows of (await storeEvents(storageOf(cfg))).values()) n += rows.length;
  return n;
}

export async function feedLength(cfg: CoreConfig): Promise<number> {
  return new Feed(storageOf(cfg), 'counter').head();
}

/**
 * After the crashes, with a fresh runtime running: the feed holds every committed
 * event exactly once (gapless, per-stream ordered) and the Counters view equals a
 * rebuild from the store.
 */
export async function expectRecovered(cfg: CoreConfig, runtime: Runtime, timeoutMs: number): Promise<{ events: number }> {
  // a request in flight when its process died may still land: let it settle first
  await sleep(500);
  const storage = storageOf(cfg);
  const total = await storedCount(cfg);
  await waitUntil(`all ${total} stored events in the feed`, async () => (await feedLength(cfg)) >= total, timeoutMs, 250);
  await waitUntil(`the Counters projection at seq ${total}`, async () => (await runtime.stats())[0]!.projections[0]!.checkpoint >= total, timeoutMs, 250);
  await sleep(300);
  const store = await storeEvents(storage);
  const check = compareFeedWithStore(store, await wholeFeed(local(runtime).feed));
  expect(check.problems).toEqual([]);
  expect(check.feedCount).toBe(total);
  expect(sorted(await countersView(runtime))).toEqual(sorted(countersFromStore(store)));
  return { events: total };
}
