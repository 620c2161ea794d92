import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContext } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineEvent } from '../src/events/define-event.ts';
import { defineProjection } from '../src/projection/define-projection.ts';
import type { Runtime } from '../src/runtime.ts';
import { config, local, owner, waitUntil } from './helpers.ts';

const Placed = defineEvent('Placed', { schema: z.object({ id: z.string(), cents: z.number().int() }) });

const totals = defineProjection({
  name: 'totals',
  tables: ['Totals'],
  handles: ['Placed'],
  async apply(entry, { view }) {
    const data = entry.data as { cents: number };
    await view('Totals').update('all', 'all', (row) => ({ partitionKey: 'all', rowKey: 'all', cents: Number(row?.cents ?? 0) + data.cents, count: Number(row?.count ?? 0) + 1 }));
  },
});

const shop = defineContext({ name: 'shop', events: [Placed], aggregates: [], projections: [totals] });
const partitionOf = (key: string) => `orders-${key.charCodeAt(key.length - 1) % 3}`;
const item = (key: string, cents = 100) => ({ key, partition: partitionOf(key), event: Placed({ id: key, cents }) });

describe('keyed ingestion', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createRuntime({ contexts: [shop], config: config('ingest') });
  });
  afterAll(() => runtime.close());

  it('stores a batch across partitions once, and reports re-sent keys as duplicates', async () => {
    const batch = Array.from({ length: 250 }, (_, i) => item(`pay-${i}`));
    const first = await runtime.context('shop').ingest(batch, { principal: owner });
    expect(first.filter((r) => r.status === 'stored')).toHaveLength(250);

    const again = await runtime.context('shop').ingest([...batch.slice(0, 10), item('pay-new'), item('pay-new')], { principal: owner });
    expect(again.map((r) => r.status)).toEqual([...Array(10).fill('duplicate'), 'stored', 'duplicate']);

    await waitUntil('the feed and the view to hold 251 orders', async () => {
      const row = await runtime.context('shop').views.get('Totals', 'all', 'all');
      return row?.count === 251;
    });
    const feed = await local(runtime, 'shop').feed.read(0, 1000);
    expect(feed.map((e) => e.seq)).toEqual(Array.from({ length: 251 }, (_, i) => i + 1));
    expect(new Set(feed.map((e) => (e.data as { id: string }).id)).size).toBe(251);
  });

  it('reads a keyed partition back as its events in commit order', async () => {
    const events = await runtime.context('shop').readStream(partitionOf('pay-0'));
    expect(events.length).toBeGreaterThan(50);
    expect(events.every((e) => e.type === 'Placed')).toBe(true);
    const versions = events.map((e) => e.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
  });

  it('refuses keys Azure Table keys cannot hold, storing nothing', async () => {
    await expect(runtime.context('shop').ingest([item('ok-1'), item('bad/key')], { principal: owner })).rejects.toThrow(/character/);
    const events = await runtime.context('shop').readStream(partitionOf('ok-1'));
    expect(events.some((e) => (e.data as { id: string }).id === 'ok-1')).toBe(false);
  });
});
