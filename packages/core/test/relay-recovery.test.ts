import { afterEach, describe, expect, it, vi } from 'vitest';
import { channels } from '../src/bus/bus.ts';
import { MemoryBus } from '../src/bus/memory-bus.ts';
import { defineContext } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { Feed, type FeedColumns } from '../src/relay/feed.ts';
import type { EventColumns } from '../src/store/codec.ts';
import { EventStore, isCommitRow } from '../src/store/event-store.ts';
import { readBlobText } from '../src/store/storage.ts';
import { Closer, compareFeedWithStore, config, local, sleep, storageOf, storeEvents, waitUntil, wholeFeed } from './helpers.ts';

/**
 * States a crash leaves behind, built directly in the store, the feed and the relay's
 * lease blob; then a relay recovers from them. Each case is a bug the relay once had.
 */
const closer = new Closer();
afterEach(() => closer.closeAll());

const ledger = defineContext({ name: 'ledger', events: [], aggregates: [], projections: [] });
const meta = { who: 'test', correlationId: 'c', causationId: 'c' };

/** A stored row as the relay places it in the feed. */
function feedRow(row: EventColumns, seq: number): FeedColumns {
  const { id, type, sv, s, v, at, who, cor, cau, data, p } = row;
  return { id, type, sv: Number(sv), s, v: Number(v), at, who, cor, cau, data: data!, ...(p !== undefined ? { p: Number(p) } : {}), seq, rat: new Date().toISOString() };
}

/** Every stored event of a stream in relay order, keyed commits expanded. */
async function storedRows(store: EventStore, stream: string): Promise<EventColumns[]> {
  const rows: EventColumns[] = [];
  for await (const row of store.rowsAfter(stream, 0)) rows.push(...(isCommitRow(row) ? await store.expandCommit(stream, row) : [row]));
  return rows;
}

async function expectFeedIsStore(cfg: ReturnType<typeof config>, feed: Feed, expected: number): Promise<void> {
  await waitUntil(`${expected} feed entries`, async () => (await wholeFeed(feed)).length >= expected, 10_000);
  await sleep(500); // room for a duplicate to land
  const check = compareFeedWithStore(await storeEvents(storageOf(cfg), 'ledger'), await wholeFeed(feed));
  expect(check.problems).toEqual([]);
  expect(check.feedCount).toBe(expected);
}

describe('relay recovery from what a crash left', () => {
  it('places the rest of a keyed commit whose first part reached the feed before the relay died', async () => {
    const cfg = config('partial');
    const storage = storageOf(cfg);
    const store = new EventStore(storage, 'ledger');
    await store.ready();
    // Two keyed commits: 99 events, then 21. The relay placed seqs 1..120 as one run, cut
    // at 100 rows per transaction; the first transaction (99 + 1 of the second commit)
    // landed, the second failed and the relay died.
    const items = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ key: `pay-${from + i}`, event: { type: 'Paid', data: { n: from + i } } }));
    await store.appendKeyed('orders-0', items(0, 99), meta);
    await store.appendKeyed('orders-0', items(99, 21), meta);
    const rows = await storedRows(store, 'orders-0');
    expect(rows).toHaveLength(120);
    const feed = new Feed(storage, 'ledger');
    await feed.ready();
    await feed.append(rows.slice(0, 100).map((row, i) => feedRow(row, i + 1)));

    closer.add(await createRuntime({ contexts: [ledger], config: cfg, bus: closer.add(new MemoryBus()) }));
    await expectFeedIsStore(cfg, feed, 120);
  });

  it('does not place again a retired stream whose old commit hint it reads after losing its log position', async () => {
    const cfg = config('oldlog');
    const storage = storageOf(cfg);
    const store = new EventStore(storage, 'ledger');
    await store.ready();
    // acct-1 v1 was relayed long ago: in the feed at seq 1, its marker retired and its
    // cursor moved into the stream (~relayed). Its commit hint is still in the log.
    await store.append('acct-1', 0, [{ type: 'Opened', data: { n: 1 } }], meta);
    const [acct1] = await storedRows(store, 'acct-1');
    const feed = new Feed(storage, 'ledger');
    await feed.ready();
    await feed.append([feedRow(acct1!, 1)]);
    await store.setRelayedVersion('acct-1', 1);
    for (const marker of await store.markers.list()) await store.markers.retire(marker);
    // The relay saved its state with a position in a log that no longer exists.
    const container = await storage.container('ledger');
    const state = JSON.stringify({ checkpointSeq: 1, cursors: {}, log: { id: '99-0', epoch: 'an-earlier-redis' } });
    await container.getBlockBlobClient('leases/relay.json').upload(state, state.length);

    const bus = closer.add(new MemoryBus());
    await bus.appendLog(channels.commitLog('ledger'), { batch: [{ stream: 'acct-1', version: 1, rows: [acct1] }] }, channels.committed('ledger'));
    await store.append('acct-2', 0, [{ type: 'Opened', data: { n: 2 } }], meta);
    const [acct2] = await storedRows(store, 'acct-2');
    await bus.appendLog(channels.commitLog('ledger'), { batch: [{ stream: 'acct-2', version: 1, rows: [acct2] }] }, channels.committed('ledger'));

    closer.add(await createRuntime({ contexts: [ledger], config: cfg, bus }));
    await expectFeedIsStore(cfg, feed, 2);
  });

  // Found by the fault simulator: a relay's memory grew with the streams it had ever seen.
  it('keeps no cursor of a retired stream, whether its saved state or a late hint names it', async () => {
    const cfg = config('leak');
    const storage = storageOf(cfg);
    const store = new EventStore(storage, 'ledger');
    await store.ready();
    const feed = new Feed(storage, 'ledger');
    await feed.ready();
    // old-1 (v1, v2) was relayed and retired; the relay's saved state still names it and a
    // stream retired long ago, saved before their retirement.
    await store.append('old-1', 0, [{ type: 'Opened', data: {} }, { type: 'Moved', data: {} }], meta);
    const old = await storedRows(store, 'old-1');
    await feed.append(old.map((row, i) => feedRow(row, i + 1)));
    await store.setRelayedVersion('old-1', 2);
    for (const marker of await store.markers.list()) await store.markers.retire(marker);
    const container = await storage.container('ledger');
    const state = JSON.stringify({ checkpointSeq: 2, cursors: { 'old-1': 2, 'older-0': 7 } });
    await container.getBlockBlobClient('leases/relay.json').upload(state, state.length);

    const bus = closer.add(new MemoryBus());
    const runtime = closer.add(await createRuntime({ contexts: [ledger], config: cfg, bus, tuning: { checkpointMs: 100, relayIdleMs: 100 } }));
    // A late hint of old-1 (its commit of v2, read again after a Redis restart with its data).
    await bus.appendLog(channels.commitLog('ledger'), { batch: [{ stream: 'old-1', version: 2, rows: [old[1]] }] }, channels.committed('ledger'));
    await sleep(500);
    // Something new, so the relay saves its state.
    await local(runtime, 'ledger').store.append('new-1', 0, [{ type: 'Opened', data: {} }], meta);
    await waitUntil('the relay saved its state with new-1', async () => {
      const saved = JSON.parse(await readBlobText(container.getBlockBlobClient('leases/relay.json'))) as { cursors: Record<string, number> };
      return saved.cursors['new-1'] === 1;
    });
    const saved = JSON.parse(await readBlobText(container.getBlockBlobClient('leases/relay.json'))) as { cursors: Record<string, number> };
    expect(Object.keys(saved.cursors)).toEqual(['new-1']);
    await expectFeedIsStore(cfg, feed, 3);
  });

  // Found by the fault simulator (seed 11): a relay that lost its lease for a moment retired a
  // marker while the new holder kept that stream's cursor, with no marker left to retire it.
  it('lets go of the cursor of a stream that another relay retired', async () => {
    const cfg = config('retired');
    const storage = storageOf(cfg);
    const runtime = closer.add(
      await createRuntime({ contexts: [ledger], config: cfg, bus: closer.add(new MemoryBus()), tuning: { relaySweepMs: 100, relayIdleMs: 100, checkpointMs: 100, markerRetireMs: 60_000 } }),
    );
    const store = local(runtime, 'ledger').store;
    const feed = new Feed(storage, 'ledger');
    await store.append('acct-1', 0, [{ type: 'Opened', data: {} }], meta);
    await waitUntil('acct-1 in the feed', async () => (await feed.head()) === 1);
    // Another relay (one whose lease had just been broken) checks acct-1 and retires it.
    const other = new EventStore(storage, 'ledger');
    await other.setRelayedVersion('acct-1', 1);
    for (const marker of await other.markers.list()) await other.markers.retire(marker);
    await sleep(500);
    await store.append('acct-2', 0, [{ type: 'Opened', data: {} }], meta);
    const container = await storage.container('ledger');
    const saved = async () => JSON.parse(await readBlobText(container.getBlockBlobClient('leases/relay.json'))) as { cursors: Record<string, number> };
    await waitUntil('the relay saved its state with acct-2', async () => (await saved()).cursors['acct-2'] === 1);
    await sleep(500);
    expect(Object.keys((await saved()).cursors)).toEqual(['acct-2']);
    expect(await store.relayedVersion('acct-1')).toBe(1);
  });

  // The bench (2a) fell from 0.67 to 0.09 of raw batches when every stream without a cursor
  // was read (~relayed): a first relay has nothing to read, nothing was ever relayed.
  it('relays a backlog announced in the log into an empty feed without reading a cursor per stream', async () => {
    const cfg = config('pristine');
    const storage = storageOf(cfg);
    const store = new EventStore(storage, 'ledger');
    await store.ready();
    const bus = closer.add(new MemoryBus());
    for (let i = 0; i < 40; i++) {
      const stream = `acct-${i}`;
      await store.append(stream, 0, [{ type: 'Opened', data: { n: i } }], meta);
      const [row] = await storedRows(store, stream);
      await bus.appendLog(channels.commitLog('ledger'), { batch: [{ stream, version: 1, rows: [row] }] }, channels.committed('ledger'));
    }
    const reads = vi.spyOn(EventStore.prototype, 'relayedVersion');
    try {
      closer.add(await createRuntime({ contexts: [ledger], config: cfg, bus, tuning: { relaySweepMs: 100 } }));
      await expectFeedIsStore(cfg, new Feed(storage, 'ledger'), 40);
      await sleep(300); // the first sweep checks every marked stream
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });

  it('reads cursors again once it has retired a stream: an old hint of it read later is not placed twice', async () => {
    const cfg = config('unpristine');
    const storage = storageOf(cfg);
    const bus = closer.add(new MemoryBus());
    const runtime = closer.add(
      await createRuntime({ contexts: [ledger], config: cfg, bus, tuning: { relaySweepMs: 100, relayIdleMs: 50, markerFreshMs: 200, appendAttemptMs: 300, markerRetireMs: 1000 } }),
    );
    const store = local(runtime, 'ledger').store;
    await store.append('acct-1', 0, [{ type: 'Opened', data: {} }], meta);
    const [acct1] = await storedRows(store, 'acct-1');
    await waitUntil('acct-1 retired', async () => (await store.relayedVersion('acct-1')) === 1 && (await store.markers.list()).length === 0, 10_000);
    // Its commit hint again, as a log read again from an earlier position would give it.
    await bus.appendLog(channels.commitLog('ledger'), { batch: [{ stream: 'acct-1', version: 1, rows: [acct1] }] }, channels.committed('ledger'));
    await store.append('acct-2', 0, [{ type: 'Opened', data: {} }], meta);
    await expectFeedIsStore(cfg, new Feed(storage, 'ledger'), 2);
  });
});
