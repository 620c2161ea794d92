import { createRuntime, Storage } from '@eventloom/core';
import { storeEvents, testConfig } from '@eventloom/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import orders from '../src/index.ts';
import { seedDemoOrders } from '../src/orders/demo.ts';
import { demoCatalog } from '../src/testing.ts';

describe('demo orders', () => {
  const config = testConfig({ name: 'demo', LOG_LEVEL: 'silent' });
  const running = createRuntime({ contexts: [orders], config, workers: false });
  afterAll(async () => (await running).close());

  it('stores a week of valid orders once, dated in the past week; a re-run stores none again', async () => {
    const runtime = await running;
    const context = runtime.context('orders');
    const now = new Date('2026-12-07T12:00:00Z');
    expect(await seedDemoOrders(context, demoCatalog, { count: 300, days: 7, now })).toEqual({ stored: 300, duplicates: 0 });
    expect(await seedDemoOrders(context, demoCatalog, { count: 300, days: 7, now })).toEqual({ stored: 0, duplicates: 300 });

    const stored = [...(await storeEvents(new Storage(config.AZURE_STORAGE_CONNECTION_STRING, config.EVENTLOOM_PREFIX), 'orders')).values()].flat();
    const placed = stored.filter((row) => row.type === 'OrderPlaced').map((row) => JSON.parse(String(row.data)) as { OrderDate: string; PaymentTransactionId: string });
    expect(placed).toHaveLength(300);
    expect(new Set(placed.map((o) => o.PaymentTransactionId)).size).toBe(300);
    for (const order of placed) {
      const at = Date.parse(order.OrderDate);
      expect(at).toBeGreaterThanOrEqual(now.getTime() - 7 * 86_400_000);
      expect(at).toBeLessThan(now.getTime());
    }
    // Spread over the week, not bunched: every day has some.
    expect(new Set(placed.map((o) => o.OrderDate.slice(0, 10))).size).toBeGreaterThanOrEqual(7);
  });

  // `./eventloom up` seeds 1,000: the second batch of 500 drew from a generator the first
  // batch's loop had closed, stored nothing and went round for ever (the worker spun at
  // full CPU, sent no heartbeat, and every projection showed standby).
  it('stores a count larger than one ingestion batch, and finishes', { timeout: 60_000 }, async () => {
    const runtime = await running;
    const context = runtime.context('orders');
    const now = new Date('2026-11-07T12:00:00Z');
    expect(await seedDemoOrders(context, demoCatalog, { count: 1_100, days: 7, now, seed: 77 })).toEqual({ stored: 1_100, duplicates: 0 });
  });
});
