/**
 * The Event Hubs order source's handlers, driven by a local partition source (no
 * namespace is reachable here, and there is no emulator): events shaped as the SDK
 * hands them over, a PartitionContext that checkpoints into the real Blob checkpoint
 * store on Azurite, and a real runtime with the orders context. At-least-once delivery
 * in, each order stored once: a redelivered batch doubles nothing, a refused order is
 * recorded and passed, and a batch is checkpointed only after it is stored.
 */
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import type { ContextRuntime, IngestItem, IngestResult } from '@eventloom/core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderPlaced } from '../src/contracts.ts';
import { OrderBatchNotStored, OrderEventHandlers, Refusals, eventHubCheckpoints, eventHubsPrincipal } from '../src/ingest/event-hubs.ts';
import { orderPartition } from '../src/orders/partition.ts';
import { demoCatalog, sampleOrders } from '../src/testing.ts';
import { eventually, ordersApi } from './harness.ts';
import { LocalEventHub } from './local-event-hub.ts';

let api: Awaited<ReturnType<typeof ordersApi>>;
let store: BlobCheckpointStore;
let refusals: Refusals;
beforeAll(async () => {
  api = await ordersApi('eventhubs');
  const container = await eventHubCheckpoints(api.runtime.storage);
  store = new BlobCheckpointStore(container);
  refusals = new Refusals(container);
}, 60_000);
afterAll(() => api?.close());

const generated = sampleOrders({ seed: 404, movies: demoCatalog.movies });
const nextOrders = (n: number) => Array.from({ length: n }, () => generated.next().value!);
const keyOf = (order: { PaymentTransactionId: string }) => order.PaymentTransactionId;
const log = pino({ level: 'silent' });
let hubs = 0;
/** A hub of its own per test, so checkpoints and refusals of one test never meet another's. */
const newHub = () => new LocalEventHub(store, `orders-${++hubs}`);
const handlersOn = (runtime: ContextRuntime = api.context) => new OrderEventHandlers({ runtime, refusals, log });

/** How often each key is in the context's feed, once the relay has placed it. */
async function feedCounts(keys: string[]): Promise<Map<string, number>> {
  const wanted = new Set(keys);
  const counts = new Map<string, number>();
  for (let after = 0; ; ) {
    const entries = await api.context.readFeed(after, 1000);
    if (entries.length === 0) return counts;
    for (const entry of entries) {
      const key = (entry.data as { PaymentTransactionId?: string }).PaymentTransactionId;
      if (entry.type === OrderPlaced.type && key && wanted.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    after = entries.at(-1)!.seq;
  }
}

/** Every key in the feed exactly once (waits for the relay to place them all). */
async function expectOnceInFeed(keys: string[]) {
  await eventually('the orders in the feed', async () => (await feedCounts(keys)).size === keys.length, 30_000, 100);
  const counts = await feedCounts(keys);
  expect([...counts.values()].every((n) => n === 1), 'an order in the feed more than once').toBe(true);
}

/** The orders context, with `ingest` failing as told: before storing (store down), or after (answer lost). */
function flaky(context: ContextRuntime, failures: { before?: number; after?: number }): ContextRuntime {
  const ingest = async (items: IngestItem[], request: Parameters<ContextRuntime['ingest']>[1]): Promise<IngestResult[]> => {
    if ((failures.before ?? 0) > 0) {
      failures.before!--;
      throw new Error('storage unavailable (injected)');
    }
    const results = await context.ingest(items, request);
    if ((failures.after ?? 0) > 0) {
      failures.after!--;
      throw new Error('connection reset after the commit (injected)');
    }
    return results;
  };
  return new Proxy(context, {
    get(target, property) {
      if (property === 'ingest') return ingest;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('the Event Hubs order source on a local partition source', () => {
  it('stores valid orders once, in batches, and checkpoints each batch only once its orders are stored', async () => {
    const hub = newHub();
    const orders = nextOrders(250);
    hub.send('0', orders.slice(0, 130));
    hub.send('1', orders.slice(130));
    const handlers = handlersOn();
    // The PartitionContext checks, at the moment of each checkpoint, that every order up to it is stored.
    const checkedAtCheckpoint: string[] = [];
    const checking = (partitionId: string, sent: typeof orders) =>
      hub.context(partitionId, async (last) => {
        const upTo = sent.slice(0, last.sequenceNumber + 1);
        const stored = await Promise.all(upTo.map((o) => api.context.readKeyed(orderPartition(keyOf(o)), keyOf(o))));
        expect(stored.every(Boolean), 'a checkpoint before its orders were stored').toBe(true);
        checkedAtCheckpoint.push(`${partitionId}:${last.sequenceNumber}`);
      });
    expect(await hub.pump('0', handlers, 50, checking('0', orders.slice(0, 130)))).toEqual({ delivered: 130 });
    expect(await hub.pump('1', handlers, 50, checking('1', orders.slice(130)))).toEqual({ delivered: 120 });
    expect(handlers.stats).toMatchObject({ received: 250, stored: 250, duplicates: 0, refused: 0, batches: 6, failures: 0 });
    expect(checkedAtCheckpoint).toEqual(['0:49', '0:99', '0:129', '1:49', '1:99', '1:119']);
    expect(await hub.checkpoint('0')).toBe(129);
    expect(await hub.checkpoint('1')).toBe(119);
    await expectOnceInFeed(orders.map(keyOf));
    const stored = await api.context.readKeyed(orderPartition(keyOf(orders[0]!)), keyOf(orders[0]!));
    expect(stored).toMatchObject({ type: 'OrderPlaced', who: eventHubsPrincipal.sub, data: { PaymentTransactionId: keyOf(orders[0]!) } });
  }, 60_000);

  it('doubles nothing when events come again after a crash before the checkpoint', async () => {
    const hub = newHub();
    const orders = nextOrders(120);
    hub.send('0', orders);
    const handlers = handlersOn();
    // The process dies as it is about to checkpoint the second batch.
    let batches = 0;
    const crashing = hub.context('0', async () => {
      if (++batches === 2) throw new Error('process killed (injected)');
    });
    const events = hub.events('0');
    await handlers.processEvents(events.slice(0, 60), crashing);
    await expect(handlers.processEvents(events.slice(60), crashing)).rejects.toBeInstanceOf(OrderBatchNotStored);
    expect(await hub.checkpoint('0')).toBe(59);

    // A new process (new handlers) reads the partition from the checkpoint: the second batch again.
    const restarted = handlersOn();
    expect(await hub.pump('0', restarted, 100)).toEqual({ delivered: 60 });
    expect(restarted.stats).toMatchObject({ received: 60, stored: 0, duplicates: 60 });
    expect(await hub.checkpoint('0')).toBe(119);

    // And the whole partition once more, as after a lost checkpoint store: still nothing doubled.
    const again = handlersOn();
    await again.processEvents(events, hub.context('0'));
    expect(again.stats).toMatchObject({ stored: 0, duplicates: 120 });
    await expectOnceInFeed(orders.map(keyOf));
  }, 60_000);

  it('records a refused event with its reason and goes on with the partition', async () => {
    const hub = newHub();
    const [a, b, c, d, e] = nextOrders(5);
    const badQuantity = { ...b!, Details: [{ ...b!.Details[0]!, Quantity: 0 }] };
    const unknownField = { ...c!, Coupon: 'FREE' };
    hub.send('2', [a, badQuantity, Buffer.from('{"Region": "West", not json'), unknownField, d], 'orders-01');
    const handlers = handlersOn();
    expect(await hub.pump('2', handlers, 100)).toEqual({ delivered: 5 });
    expect(handlers.stats).toMatchObject({ received: 5, stored: 2, refused: 3, failures: 0 });
    expect(await hub.checkpoint('2')).toBe(4);

    const refused = await refusals.list({ fullyQualifiedNamespace: hub.fullyQualifiedNamespace, eventHubName: hub.eventHubName, consumerGroup: hub.consumerGroup, partitionId: '2' });
    expect(refused.map((r) => r.sequenceNumber)).toEqual([1, 2, 3]);
    expect(refused[0]).toMatchObject({ partitionId: '2', partitionKey: 'orders-01', errors: { 'Details.0.Quantity': [expect.any(String)] }, body: { PaymentTransactionId: keyOf(b!) } });
    expect(refused[1]!.errors['(body)']).toEqual(['the event body is not JSON']);
    expect(Buffer.from(refused[1]!.bodyBase64!, 'base64').toString()).toBe('{"Region": "West", not json');
    expect(JSON.stringify(refused[2]!.errors)).toMatch(/Coupon/);

    // The partition goes on: what comes after is stored, and a redelivery records each refusal once.
    hub.send('2', [e]);
    expect(await hub.pump('2', handlers, 100)).toEqual({ delivered: 1 });
    await handlersOn().processEvents(hub.events('2'), hub.context('2'));
    expect(await refusals.list({ fullyQualifiedNamespace: hub.fullyQualifiedNamespace, eventHubName: hub.eventHubName, consumerGroup: hub.consumerGroup })).toHaveLength(3);
    await expectOnceInFeed([a, d, e].map((o) => keyOf(o!)));
    expect(await api.context.readKeyed(orderPartition(keyOf(b!)), keyOf(b!))).toBeUndefined();
  }, 60_000);

  it('writes no checkpoint when storing fails, and the redelivered batch then lands once', async () => {
    const hub = newHub();
    const orders = nextOrders(80);
    hub.send('3', orders);
    const failures = { before: 1 };
    const handlers = handlersOn(flaky(api.context, failures));
    const first = await hub.pump('3', handlers, 50);
    expect(first.delivered).toBe(0);
    expect(first.error).toBeInstanceOf(OrderBatchNotStored);
    expect(first.error!.message).toMatch(/partition 3, sequence numbers 0-49, were not stored: storage unavailable/);
    // No `retryable` flag: the SDK stops the partition instead of reading on past the batch.
    expect((first.error as { retryable?: boolean }).retryable).toBeUndefined();
    expect(hub.checkpointsWritten.filter((c) => c.partitionId === '3')).toEqual([]);
    expect(await hub.checkpoint('3')).toBe(-1);
    expect(handlers.stats).toMatchObject({ failures: 1, errors: 1, stored: 0, batches: 0 });

    // The SDK starts the partition again from its (missing) checkpoint: every order once.
    expect(await hub.pump('3', handlers, 50)).toEqual({ delivered: 80 });
    expect(handlers.stats).toMatchObject({ stored: 80, duplicates: 0, batches: 2 });
    expect(hub.checkpointsWritten.filter((c) => c.partitionId === '3').map((c) => c.sequenceNumber)).toEqual([49, 79]);
    await expectOnceInFeed(orders.map(keyOf));
  }, 60_000);

  it('stores once when the store committed but its answer was lost, and checkpoints after the redelivery', async () => {
    const hub = newHub();
    const orders = nextOrders(40);
    hub.send('4', orders);
    const handlers = handlersOn(flaky(api.context, { after: 1 }));
    const first = await hub.pump('4', handlers, 40);
    expect(first.error).toBeInstanceOf(OrderBatchNotStored);
    expect(await hub.checkpoint('4')).toBe(-1);
    expect(await hub.pump('4', handlers, 40)).toEqual({ delivered: 40 });
    expect(handlers.stats).toMatchObject({ stored: 0, duplicates: 40, batches: 1 });
    expect(await hub.checkpoint('4')).toBe(39);
    await expectOnceInFeed(orders.map(keyOf));
  }, 60_000);

  it('hands an empty batch (nothing arrived in the wait time) back without a checkpoint', async () => {
    const hub = newHub();
    const handlers = handlersOn();
    await handlers.processEvents([], hub.context('0'));
    expect(hub.checkpointsWritten).toEqual([]);
    expect(handlers.stats.received).toBe(0);
  });
});
