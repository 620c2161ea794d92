import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderPlaced } from '../src/contracts.ts';
import { demoCatalog, sampleOrders } from '../src/testing.ts';
import { eventually, ordersApi } from './harness.ts';

let api: Awaited<ReturnType<typeof ordersApi>>;
beforeAll(async () => {
  api = await ordersApi('orders');
}, 60_000);
afterAll(() => api?.close());

const generated = sampleOrders({ seed: 11, movies: demoCatalog.movies });
const nextOrders = (n: number) => Array.from({ length: n }, () => generated.next().value!);

/** Every OrderPlaced in the context's feed, once the relay has placed it. */
async function feedOrders() {
  const orders = [];
  for (let after = 0; ; ) {
    const entries = await api.context.readFeed(after, 1000);
    if (entries.length === 0) return orders;
    orders.push(...entries.filter((e) => e.type === OrderPlaced.type));
    after = entries.at(-1)!.seq;
  }
}

describe('POST /orders', () => {
  it('stores an order once, however often it is sent', async () => {
    const [order] = nextOrders(1);
    const first = await api.post('/orders', order);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'stored', key: order!.PaymentTransactionId, partition: expect.stringMatching(/^orders-\d\d$/) });
    const again = await api.post('/orders', order);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'duplicate', key: order!.PaymentTransactionId });

    await eventually('the order in the feed', async () => (await feedOrders()).some((e) => e.id === first.body.eventId));
    const stored = (await feedOrders()).filter((e) => (e.data as { PaymentTransactionId: string }).PaymentTransactionId === order!.PaymentTransactionId);
    expect(stored).toHaveLength(1);
    const data = stored[0]!.data as { TotalCents: number; Details: { UnitPriceCents: number; CategoryId: number; ProductId: number }[] };
    expect(data.TotalCents).toBe(Math.round(order!.Total * 100));
    expect(data.Details[0]!.CategoryId).toBe(demoCatalog.movies[data.Details[0]!.ProductId - 1]!.categoryId);
  });

  it('answers a rejected order with a problem naming the field, and stores nothing', async () => {
    const [order] = nextOrders(1);
    const bad = { ...order!, Details: [{ ...order!.Details[0]!, Quantity: 0 }] };
    const { status, body, headers } = await api.post('/orders', bad);
    expect(status).toBe(400);
    expect(headers.get('content-type')).toMatch(/problem\+json/);
    expect(body.errors).toHaveProperty(['Details.0.Quantity']);

    const unknown = { ...order!, Details: [{ ...order!.Details[0]!, ProductId: 77_777, Quantity: 1 }] };
    unknown.Total = unknown.Details[0]!.UnitPrice;
    const refused = await api.post('/orders', unknown);
    expect(refused.status).toBe(400);
    expect(refused.body.errors['Details.0.ProductId'][0]).toMatch(/no movie 77777/);
    expect((await feedOrders()).some((e) => (e.data as { PaymentTransactionId: string }).PaymentTransactionId === order!.PaymentTransactionId)).toBe(false);
  });

  it('is for admins', async () => {
    const [order] = nextOrders(1);
    expect((await api.post('/orders', order, 'owner')).status).toBe(403);
    expect((await api.post('/orders', order, null)).status).toBe(401);
  });
});

describe('POST /orders/batch', () => {
  it('stores a JSON array and reports each order: stored, duplicate or rejected', async () => {
    const orders: unknown[] = nextOrders(250);
    orders.push(orders[3]); // the same order twice in one batch
    orders.push({ ...(orders[4] as object), Total: 'free' });
    const { status, body } = await api.post('/orders/batch', orders);
    expect(status).toBe(200);
    expect(body).toMatchObject({ stored: 250, duplicates: 1, rejected: 1 });
    expect(body.results).toHaveLength(252);
    expect(body.results[3]).toMatchObject({ index: 3, status: 'stored', key: (orders[3] as { PaymentTransactionId: string }).PaymentTransactionId });
    expect(body.results[250]).toMatchObject({ index: 250, status: 'duplicate' });
    expect(body.results[251]).toMatchObject({ index: 251, status: 'rejected', errors: { Total: expect.any(Array) } });

    const again = await api.post('/orders/batch', orders.slice(0, 250));
    expect(again.body).toMatchObject({ stored: 0, duplicates: 250, rejected: 0 });
  });

  it('reads NDJSON, and says which line is not JSON', async () => {
    const orders = nextOrders(20);
    const lines = [...orders.map((o) => JSON.stringify(o)), '{not json', ''].join('\n');
    const { status, body } = await api.post('/orders/batch', lines, 'admin', { 'Content-Type': 'application/x-ndjson' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ stored: 20, duplicates: 0, rejected: 1 });
    expect(body.results[20].errors['(body)'][0]).toMatch(/line 21/);
  });

  it('refuses an empty batch, more than 1,000 orders, and what is not a list', async () => {
    expect((await api.post('/orders/batch', [])).status).toBe(400);
    const tooMany = Array.from({ length: 1001 }, () => ({}));
    const { status, body } = await api.post('/orders/batch', tooMany);
    expect(status).toBe(400);
    expect(body.errors['(body)'][0]).toMatch(/at most 1000/);
    expect((await api.post('/orders/batch', { orders: [] })).status).toBe(400);
    expect((await api.post('/orders/batch', 'x', 'admin', { 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it('stores 1,000 orders in one request, each exactly once, and re-sent ones not again', async () => {
    const orders = nextOrders(1000);
    const first = await api.post('/orders/batch', orders);
    expect(first.body).toMatchObject({ stored: 1000, duplicates: 0, rejected: 0 });
    const keys = new Set(orders.map((o) => o.PaymentTransactionId));
    await eventually(
      'every stored order in the feed',
      async () => (await feedOrders()).filter((e) => keys.has((e.data as { PaymentTransactionId: string }).PaymentTransactionId)).length >= 1000,
      30_000,
      200,
    );
    const resent = await api.post('/orders/batch', orders.slice(500));
    expect(resent.body).toMatchObject({ stored: 0, duplicates: 500 });
    const inFeed = (await feedOrders()).filter((e) => keys.has((e.data as { PaymentTransactionId: string }).PaymentTransactionId));
    expect(inFeed).toHaveLength(1000);
  }, 60_000);
});
