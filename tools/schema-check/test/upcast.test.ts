/**
 * A schema change that needs a new version: a store written by the version-1 code is
 * read by the version-2 code through its upcaster. Runs on the Azurite and Redis of
 * the root vitest config.
 */
import { createRuntime, defineAggregate, defineContext, defineEvent, defineProjection, type EventEnvelope, type Principal, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const principal: Principal = { sub: 'clerk', role: 'admin' };
const parcelId = z.string().regex(/^[a-z0-9-]{1,40}$/);

// Version 1, as it shipped: the weight in kilograms, as the scale printed it.
const WeighedV1 = defineEvent('ParcelWeighed', {
  schema: z.object({ parcelId: z.string(), weightKg: z.number().positive() }),
});

// Version 2: whole grams and the scale that weighed it. Stored v1 events never change;
// they are read through the upcaster (the scale of an old weighing is unknown).
const WeighedV2 = defineEvent('ParcelWeighed', {
  version: 2,
  schema: z.object({ parcelId: z.string(), weightGrams: z.number().int().positive(), scale: z.string() }),
  upcasters: {
    1: (data) => {
      const { parcelId, weightKg } = data as { parcelId: string; weightKg: number };
      return { parcelId, weightGrams: Math.round(weightKg * 1000), scale: 'unknown' };
    },
  },
});

const depotV1 = defineContext({
  name: 'depot',
  events: [WeighedV1],
  aggregates: [
    defineAggregate({
      name: 'parcel',
      initialState: () => ({ weighings: 0 }),
      evolve: (state: { weighings: number }) => ({ weighings: state.weighings + 1 }),
      commands: {
        weigh: {
          schema: z.object({ parcelId, kg: z.number().positive() }),
          stream: (input: { parcelId: string }) => `parcel-${input.parcelId}`,
          decide: (input: { parcelId: string; kg: number }) => [WeighedV1({ parcelId: input.parcelId, weightKg: input.kg })],
        },
      },
    }),
  ],
  projections: [],
});

interface ParcelState {
  weighings: number;
  totalGrams: number;
  lastScale?: string;
}
type WeighedData = z.infer<typeof WeighedV2.schema>;

const parcels = defineProjection({
  name: 'parcels',
  tables: ['Parcels'],
  handles: [WeighedV2.type],
  async apply(entry, { view }) {
    const data = entry.data as WeighedData;
    await view('Parcels').update('parcel', data.parcelId, (row) => ({
      partitionKey: 'parcel',
      rowKey: data.parcelId,
      weighings: Number(row?.weighings ?? 0) + 1,
      totalGrams: Number(row?.totalGrams ?? 0) + data.weightGrams,
      lastScale: data.scale,
    }));
  },
});

const depotV2 = defineContext({
  name: 'depot',
  events: [WeighedV2],
  aggregates: [
    defineAggregate({
      name: 'parcel',
      initialState: (): ParcelState => ({ weighings: 0, totalGrams: 0 }),
      // Sees every event in the v2 shape, whatever version it was stored at.
      evolve: (state: ParcelState, event: EventEnvelope): ParcelState => {
        const data = event.data as WeighedData;
        return { weighings: state.weighings + 1, totalGrams: state.totalGrams + data.weightGrams, lastScale: data.scale };
      },
      commands: {
        weigh: {
          schema: z.object({ parcelId, grams: z.number().int().positive(), scale: z.string().min(1) }),
          stream: (input: { parcelId: string }) => `parcel-${input.parcelId}`,
          decide: (input: { parcelId: string; grams: number; scale: string }) => [
            WeighedV2({ parcelId: input.parcelId, weightGrams: input.grams, scale: input.scale }),
          ],
        },
      },
    }),
  ],
  projections: [parcels],
});

async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a store holding version 1 and version 2 of an event', () => {
  const config = testConfig({ name: 'upcast', LOG_LEVEL: 'silent' });
  const runtimes: Runtime[] = [];
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
  });

  it('reads every event in the version-2 shape and never rewrites the stored rows', { timeout: 60_000 }, async () => {
    // Yesterday's code writes version 1.
    const before = await createRuntime({ contexts: [depotV1], config });
    runtimes.push(before);
    const oldDepot = before.context('depot');
    await oldDepot.execute('parcel', 'weigh', { parcelId: 'p1', kg: 1.5 }, { principal });
    await oldDepot.execute('parcel', 'weigh', { parcelId: 'p1', kg: 0.25 }, { principal });
    await oldDepot.execute('parcel', 'weigh', { parcelId: 'p2', kg: 12 }, { principal });
    // It ran long enough for its relay to put them in the feed.
    await eventually('the v1 events in the feed', () => oldDepot.readFeed(0, 10), (entries) => entries.length === 3);
    await before.close();
    runtimes.pop();

    // Today's code knows version 2 and keeps writing to the same store.
    const after = await createRuntime({ contexts: [depotV2], config });
    runtimes.push(after);
    const depot = after.context('depot');
    const accepted = await depot.execute('parcel', 'weigh', { parcelId: 'p1', grams: 2_000, scale: 'dock-2' }, { principal });
    expect(accepted.events.map((e) => e.schemaVersion)).toEqual([2]);

    // readStream: every event comes back as version 2.
    const stream = await depot.readStream('parcel-p1');
    expect(stream.map((e) => [e.schemaVersion, e.data])).toEqual([
      [2, { parcelId: 'p1', weightGrams: 1_500, scale: 'unknown' }],
      [2, { parcelId: 'p1', weightGrams: 250, scale: 'unknown' }],
      [2, { parcelId: 'p1', weightGrams: 2_000, scale: 'dock-2' }],
    ]);

    // loadState: the v2 decider's evolve folds both versions (now and as of version 2).
    expect(await depot.loadState('parcel', 'parcel-p1')).toEqual({ state: { weighings: 3, totalGrams: 3_750, lastScale: 'dock-2' }, version: 3 });
    expect(await depot.loadState('parcel', 'parcel-p1', { toVersion: 2 })).toEqual({
      state: { weighings: 2, totalGrams: 1_750, lastScale: 'unknown' },
      version: 2,
    });

    // The projection reads the feed, which holds both versions, through the upcaster.
    const p1 = await eventually('the parcels view', () => depot.views.get('Parcels', 'parcel', 'p1'), (row) => row?.weighings === 3);
    expect(p1).toMatchObject({ weighings: 3, totalGrams: 3_750, lastScale: 'dock-2' });
    expect(await eventually('p2 in the view', () => depot.views.get('Parcels', 'parcel', 'p2'), Boolean)).toMatchObject({
      weighings: 1,
      totalGrams: 12_000,
      lastScale: 'unknown',
    });
    const feed = await depot.readFeed(0, 100);
    expect(feed.map((e) => e.schemaVersion)).toEqual([2, 2, 2, 2]);
    expect(feed.every((e) => 'weightGrams' in (e.data as object) && !('weightKg' in (e.data as object)))).toBe(true);

    // The stored rows still say what was written: sv=1 with kilograms, sv=2 with grams.
    const table = await after.storage.table('depot', 'Events');
    const rows: Array<{ rowKey?: string; sv: number; data: string }> = [];
    for await (const row of table.listEntities<{ sv: number; data: string }>({ queryOptions: { filter: "PartitionKey eq 'parcel-p1'" } })) {
      if (/^\d{10}$/.test(row.rowKey ?? '')) rows.push(row);
    }
    expect(rows.map((r) => [r.sv, JSON.parse(r.data)])).toEqual([
      [1, { parcelId: 'p1', weightKg: 1.5 }],
      [1, { parcelId: 'p1', weightKg: 0.25 }],
      [2, { parcelId: 'p1', weightGrams: 2_000, scale: 'dock-2' }],
    ]);
    const feedRows = await after.storage.table('depot', 'Feed');
    const versions: number[] = [];
    for await (const row of feedRows.listEntities<{ sv: number }>()) versions.push(Number(row.sv));
    expect(versions.sort()).toEqual([1, 1, 1, 2]);
  });

  it('refuses to read a version newer than the code knows', async () => {
    const stale = await createRuntime({ contexts: [depotV1], config, workers: false });
    runtimes.push(stale);
    await expect(stale.context('depot').readStream('parcel-p1')).rejects.toThrow(/stored version 2 is newer than this code knows \(1\)/);
  });
});
