/**
 * The generator's Event Hubs sender against a fake producer of the SDK's shape
 * (`createBatch` with a partition key, `tryAdd` until the batch is full, `sendBatch`).
 * Not run against a real namespace: none is reachable from here.
 */
import type { CreateBatchOptions, EventData, EventDataBatch } from '@azure/event-hubs';
import { orderPartition } from '@eventloom/orders-context';
import { demoCatalog, sampleOrders } from '@eventloom/orders-context/testing';
import { describe, expect, it } from 'vitest';
import { EventHubSender, partitionKeyOf, type OrderProducer } from '../src/event-hub-sender.ts';
import { run } from '../src/run.ts';

/** What a sent batch held: its partition key and the orders, decoded from the event bodies. */
interface Sent {
  partitionKey: string | undefined;
  sizeInBytes: number;
  orders: { PaymentTransactionId: string }[];
}

/**
 * A producer that sizes batches as the SDK does in spirit (each event's bytes plus an
 * overhead, refused past `maxSizeInBytes`) and keeps what was sent. `failSends` makes
 * that many sends fail, as after the SDK's own retries.
 */
function fakeProducer(maxSizeInBytes = 16 * 1024, failSends = 0) {
  const sent: Sent[] = [];
  let closed = false;
  const producer: OrderProducer = {
    async createBatch(options: CreateBatchOptions = {}): Promise<EventDataBatch> {
      const events: EventData[] = [];
      let size = 64;
      return {
        partitionKey: options.partitionKey,
        partitionId: options.partitionId,
        maxSizeInBytes,
        get sizeInBytes() {
          return size;
        },
        get count() {
          return events.length;
        },
        tryAdd(event: EventData) {
          const bytes = (event.body as Buffer).length + 48;
          if (size + bytes > maxSizeInBytes) return false;
          events.push(event);
          size += bytes;
          return true;
        },
        // Not part of the SDK's interface: how the fake's sendBatch reads the batch back.
        events,
      } as EventDataBatch & { events: EventData[] };
    },
    async sendBatch(batch: EventDataBatch) {
      if (failSends > 0) {
        failSends--;
        throw new Error('The service was unable to process the request (fake)');
      }
      const events = (batch as EventDataBatch & { events: EventData[] }).events;
      expect(events.every((e) => e.contentType === 'application/json')).toBe(true);
      sent.push({ partitionKey: batch.partitionKey, sizeInBytes: batch.sizeInBytes, orders: events.map((e) => JSON.parse((e.body as Buffer).toString('utf8'))) });
    },
    async close() {
      closed = true;
    },
  };
  return { producer, sent, closed: () => closed };
}

const generated = sampleOrders({ seed: 12, movies: demoCatalog.movies });
const nextOrders = (n: number) => Array.from({ length: n }, () => generated.next().value!);

describe('EventHubSender', () => {
  it('sends each order once, in batches keyed by the orders context’s partition of its PaymentTransactionId', async () => {
    const fake = fakeProducer();
    const orders = nextOrders(300);
    const outcome = await new EventHubSender(fake.producer).send(orders);
    expect(outcome).toEqual({ stored: 0, duplicates: 0, rejected: 0, errors: [], enqueued: 300 });

    const sentIds = fake.sent.flatMap((b) => b.orders.map((o) => o.PaymentTransactionId));
    expect(sentIds.toSorted()).toEqual(orders.map((o) => o.PaymentTransactionId).toSorted());
    for (const batch of fake.sent) {
      expect(batch.partitionKey).toMatch(/^orders-0\d$/);
      expect(batch.orders.every((o) => orderPartition(o.PaymentTransactionId) === batch.partitionKey)).toBe(true);
    }
    // Eight keys, and batches full before a new one starts (300 orders of ~600 bytes in 16 KB batches).
    expect(new Set(fake.sent.map((b) => b.partitionKey)).size).toBe(8);
    expect(fake.sent.length).toBeGreaterThan(8);
    expect(fake.sent.every((b) => b.sizeInBytes <= 16 * 1024)).toBe(true);
  });

  it('keeps the orders of one partition key in the order given', async () => {
    const fake = fakeProducer(4 * 1024);
    const orders = nextOrders(200);
    await new EventHubSender(fake.producer).send(orders);
    for (const key of new Set(fake.sent.map((b) => b.partitionKey))) {
      const given = orders.filter((o) => orderPartition(o.PaymentTransactionId) === key).map((o) => o.PaymentTransactionId);
      const sent = fake.sent.filter((b) => b.partitionKey === key).flatMap((b) => b.orders.map((o) => o.PaymentTransactionId));
      expect(sent).toEqual(given);
    }
  });

  it('sends an order without a usable PaymentTransactionId without a key, rather than not at all', async () => {
    const fake = fakeProducer();
    const [order] = nextOrders(1);
    const { PaymentTransactionId: _, ...withoutId } = order!;
    expect(partitionKeyOf(withoutId)).toBeUndefined();
    expect(partitionKeyOf(null)).toBeUndefined();
    expect(await new EventHubSender(fake.producer).send([withoutId])).toMatchObject({ enqueued: 1 });
    expect(fake.sent).toEqual([expect.objectContaining({ partitionKey: undefined })]);
  });

  it('refuses an order larger than an empty batch holds, instead of dropping it', async () => {
    const fake = fakeProducer(512);
    await expect(new EventHubSender(fake.producer).send(nextOrders(1))).rejects.toThrow(/an order of \d+ bytes is larger than an event hub batch holds \(512 bytes\)/);
  });

  it('feeds the generator’s run: rate × duration orders enqueued, invalid ones too (the consumer refuses them), failed sends counted', async () => {
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    const fake = fakeProducer(64 * 1024);
    const summary = await run(new EventHubSender(fake.producer), demoCatalog.movies, { rate: 400, durationSeconds: 2, batch: 100, concurrency: 2, seed: 3, invalid: 0.1, resend: 0, ...clock });
    expect(summary).toMatchObject({ total: 800, sent: 800, enqueued: 800, stored: 0, failed: 0 });
    expect(fake.sent.reduce((n, b) => n + b.orders.length, 0)).toBe(800);

    const failing = fakeProducer(64 * 1024, 1);
    const partly = await run(new EventHubSender(failing.producer), demoCatalog.movies, { rate: 100, durationSeconds: 1, batch: 50, concurrency: 1, seed: 4, invalid: 0, resend: 0, ...clock });
    expect(partly.failed).toBe(50);
    expect(partly.failures[0]).toMatch(/unable to process/);
    expect(partly.enqueued).toBe(50);
  });
});
