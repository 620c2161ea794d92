import { ContractMappingError, defineContext, defineEvent, publish, type FeedColumns, type FeedEntry, type FeedReader, type Runtime } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { asyncApiDocument } from './asyncapi.ts';
import { toCloudEvent } from './cloud-event.ts';
import { PublishedFeed } from './published-feed.ts';

// Internal events of a shipping context, and the contract type it publishes instead of Shipped.
const Shipped = defineEvent('Shipped', { schema: z.object({ parcel: z.string(), grams: z.number().int() }) });
const Weighed = defineEvent('Weighed', { schema: z.object({ parcel: z.string() }) });
const ParcelSent = defineEvent('ParcelSent', { version: 2, schema: z.object({ parcelId: z.string(), weightKg: z.number() }), upcasters: { 1: (d) => d } });

const entries: FeedEntry[] = [
  { data: { parcel: 'P1', grams: 1500 }, type: 'Shipped', seq: 1 },
  { data: { parcel: 'P1' }, type: 'Weighed', seq: 2 },
  { data: { parcel: 'P2', grams: 250 }, type: 'Shipped', seq: 3 },
].map(({ data, type, seq }) => ({
  id: `0190a0a0-0000-7000-8000-00000000000${seq}`,
  type,
  schemaVersion: 1,
  stream: `parcel-${(data as { parcel: string }).parcel}`,
  version: seq,
  occurredAt: '2026-01-31T12:00:00.000Z',
  who: 'owner',
  correlationId: 'cor',
  causationId: 'cmd',
  data,
  seq,
}));

/** A feed over fixed entries: rows carry only the columns the filter looks at. */
function runtimeOver(feed: FeedEntry[]): Runtime {
  const reader: Pick<FeedReader, 'rowsAfter' | 'decode'> = {
    rowsAfter: async (after, limit) => feed.filter((e) => e.seq > after).slice(0, limit).map((e) => ({ seq: e.seq, type: e.type, id: e.id }) as unknown as FeedColumns),
    decode: async (row) => feed.find((e) => e.seq === Number(row.seq))!,
  };
  return { context: () => ({ feed: reader }) } as unknown as Runtime;
}

const shipping = (map: (data: { parcel: string; grams: number }) => { parcelId: string; weightKg: number }, style: 'state' | 'notification' = 'state') =>
  defineContext({
    name: 'shipping',
    events: [Shipped, Weighed],
    aggregates: [],
    projections: [],
    contracts: { published: [publish(ParcelSent, { from: Shipped, map, style, link: (data) => `/parcels/${data.parcelId}` })] },
  });
const toKg = (data: { parcel: string; grams: number }) => ({ parcelId: data.parcel, weightKg: data.grams / 1000 });

describe('the published feed of a contract type', () => {
  it('finds rows by their internal type and publishes the contract: its type, version and mapped data', async () => {
    const page = await new PublishedFeed(runtimeOver(entries), shipping(toKg)).read(0, 10);
    expect(page.lastSeq).toBe(3);
    const events = page.entries.map((item) => JSON.parse(JSON.stringify(toCloudEvent(item))) as Record<string, unknown>);
    expect(events.map((e) => [e.type, e.data, e.dataref])).toEqual([
      ['shipping.ParcelSent.v2', { parcelId: 'P1', weightKg: 1.5 }, '/api/shipping/parcels/P1'],
      ['shipping.ParcelSent.v2', { parcelId: 'P2', weightKg: 0.25 }, '/api/shipping/parcels/P2'],
    ]);
  });

  it('names the contract type in a thin notification', async () => {
    const page = await new PublishedFeed(runtimeOver(entries), shipping(toKg, 'notification')).read(0, 1);
    expect(toCloudEvent(page.entries[0]!).data).toEqual({ id: entries[0]!.id, type: 'ParcelSent', stream: 'parcel-P1', link: '/api/shipping/parcels/P1' });
  });

  it('fails the read when a mapping breaks its contract, rather than skip or send the event', async () => {
    const broken = shipping((data) => ({ parcelId: data.parcel, weightKg: String(data.grams) as unknown as number }));
    await expect(new PublishedFeed(runtimeOver(entries), broken).read(0, 10)).rejects.toThrow(ContractMappingError);
    await expect(new PublishedFeed(runtimeOver(entries), broken).read(0, 10)).rejects.toThrow(/shipping: ParcelSent v2 from Shipped \(event \S+, seq 1\)/);
  });

  it('documents the contract type in AsyncAPI, not the internal event', () => {
    const document = asyncApiDocument([shipping(toKg)]);
    expect(Object.keys(document.components.messages)).toEqual(['shipping.ParcelSent.v2']);
    expect(document.components.schemas['shipping.ParcelSent.v2']).toMatchObject({ properties: { parcelId: { type: 'string' }, weightKg: { type: 'number' } } });
    expect(JSON.stringify(document)).not.toContain('grams');
  });
});
