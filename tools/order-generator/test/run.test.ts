import { demoCatalog, demoMovies, validateOrder } from '@eventloom/orders-context/testing';
import { describe, expect, it } from 'vitest';
import { GatewayClient } from '@eventloom/client';
import { GatewaySink, type BatchOutcome } from '../src/gateway-sink.ts';
import { batchSize, run } from '../src/run.ts';

/** A shop back end in memory: validates like the gateway and stores each key once. */
function fakeShop() {
  const keys = new Set<string>();
  const sends: number[] = [];
  return {
    keys,
    sends,
    async send(orders: unknown[]): Promise<BatchOutcome> {
      sends.push(orders.length);
      const outcome: BatchOutcome = { stored: 0, duplicates: 0, rejected: 0, errors: [] };
      for (const order of orders) {
        const result = validateOrder(order, demoMovies);
        if (!result.ok) {
          outcome.rejected++;
          outcome.errors.push(result.errors);
        } else if (keys.has(result.order.PaymentTransactionId)) outcome.duplicates++;
        else {
          keys.add(result.order.PaymentTransactionId);
          outcome.stored++;
        }
      }
      return outcome;
    },
  };
}

/** A clock that moves only when the run sleeps. */
function virtualClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

describe('run', () => {
  it('sends rate × duration orders in batches on schedule', async () => {
    const shop = fakeShop();
    const clock = virtualClock();
    const summary = await run(shop, demoCatalog.movies, { rate: 400, durationSeconds: 3, batch: 100, concurrency: 2, seed: 1, invalid: 0, resend: 0, ...clock });
    expect(summary).toMatchObject({ total: 1200, sent: 1200, stored: 1200, duplicates: 0, rejected: 0, failed: 0 });
    expect(shop.sends.every((n) => n === 100)).toBe(true);
    // The last batch is due at (1200 - 100) / 400 s.
    expect(summary.seconds).toBeCloseTo(2.75, 2);
  });

  it('counts rejections and duplicates it caused on purpose', async () => {
    const shop = fakeShop();
    const summary = await run(shop, demoCatalog.movies, { rate: 1000, durationSeconds: 1, batch: 50, concurrency: 4, seed: 2, invalid: 0.1, resend: 0.1, ...virtualClock() });
    expect(summary.sent).toBe(1000);
    expect(summary.stored + summary.duplicates + summary.rejected).toBe(1000);
    expect(summary.rejected).toBeGreaterThan(50);
    expect(summary.duplicates).toBeGreaterThan(50);
    expect(summary.errors.length).toBeGreaterThan(0);
  });

  it('sends the same orders for the same seed, so a re-run is all duplicates', async () => {
    const shop = fakeShop();
    const options = { rate: 100, durationSeconds: 2, batch: 100, concurrency: 1, seed: 3, invalid: 0, resend: 0 };
    await run(shop, demoCatalog.movies, { ...options, ...virtualClock() });
    const again = await run(shop, demoCatalog.movies, { ...options, ...virtualClock() });
    expect(again).toMatchObject({ stored: 0, duplicates: 200 });
  });

  it('spreads order dates over the chosen range', async () => {
    const dates: string[] = [];
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-01-31T00:00:00Z');
    await run(
      { send: async (orders) => (dates.push(...orders.map((o) => (o as { OrderDate: string }).OrderDate)), { stored: orders.length, duplicates: 0, rejected: 0, errors: [] }) },
      demoCatalog.movies,
      { rate: 500, durationSeconds: 1, batch: 100, concurrency: 1, seed: 4, from, to, invalid: 0, resend: 0, ...virtualClock() },
    );
    const times = dates.map((d) => Date.parse(d));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(from.getTime());
    expect(Math.max(...times)).toBeLessThan(to.getTime());
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(20 * 86_400_000);
  });

  it('counts a batch that keeps failing as failed, not as sent and lost', async () => {
    const summary = await run({ send: async () => Promise.reject(new Error('gateway down')) }, demoCatalog.movies, {
      rate: 100, durationSeconds: 1, batch: 50, concurrency: 1, seed: 5, invalid: 0, resend: 0, ...virtualClock(),
    });
    expect(summary).toMatchObject({ sent: 100, stored: 0, failed: 100 });
    expect(summary.failures[0]).toMatch(/gateway down/);
  });

  it('sends at least two batches a second at low rates', () => {
    expect(batchSize(50, 100)).toBe(25);
    expect(batchSize(5000, 100)).toBe(100);
    expect(batchSize(1, 100)).toBe(1);
  });
});

describe('GatewaySink.send', () => {
  it('splits a batch the gateway finds too large, and re-sends after a server error', async () => {
    const bodies: number[] = [];
    let failures = 1;
    const fetch = async (request: Request) => {
      expect(request.headers.get('content-type')).toBe('application/x-ndjson');
      const lines = (await request.text()).split('\n').length;
      bodies.push(lines);
      if (lines > 40) return new Response('{"title":"Payload too large"}', { status: 413 });
      if (failures-- > 0) return new Response('{"title":"Service unavailable"}', { status: 503 });
      return Response.json({ stored: lines, duplicates: 0, rejected: 0, results: [] });
    };
    const client = new GatewaySink(new GatewayClient({ baseUrl: 'http://gateway.test', fetch }));
    const outcome = await client.send(Array.from({ length: 100 }, (_, i) => ({ i })), 3);
    expect(outcome.stored).toBe(100);
    expect(bodies).toEqual([100, 50, 25, 25, 25, 50, 25, 25]);
  });

  it('gives up after the last attempt with what the gateway said', async () => {
    const client = new GatewaySink(new GatewayClient({ baseUrl: 'http://gateway.test', fetch: async () => Response.json({ title: 'Forbidden', detail: 'admins only' }, { status: 403 }) }));
    await expect(client.send([{}])).rejects.toThrow(/403 Forbidden — admins only/);
  });
});
