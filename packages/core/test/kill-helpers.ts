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

/**
 * Breaks every worker lease of the counter context at once. Only after the holder was
 * SIGKILLed: it does what the 15 s expiry would do, so a test can kill many times
 * without waiting out a lease each time. (Natural expiry has its own test in relay-feed.)
 */
export async function breakDeadLeases(cfg: CoreConfig): Promise<void> {
  const container = await storageOf(cfg).container('counter');
  for await (const blob of container.listBlobsFlat({ prefix: 'leases/' })) {
    await container
      .getBlobClient(blob.name)
      .getBlobLeaseClient()
      .breakLease(0)
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 409) throw error; // 409: no lease on it
      });
  }
}
