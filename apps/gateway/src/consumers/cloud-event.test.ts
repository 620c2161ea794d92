import { defineEvent, type FeedEntry, type PublishedContract } from '@eventloom/core';
import { HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCursor, encodeCursor, toCloudEvent } from './cloud-event.ts';

const Shipped = defineEvent('Shipped', { schema: z.object({ parcel: z.string(), weightGrams: z.number() }), version: 2, upcasters: { 1: (d) => d } });
const entry: FeedEntry = {
  id: '0190a0a0-0000-7000-8000-000000000001',
  type: 'Shipped',
  schemaVersion: 2,
  stream: 'parcel-P1',
  version: 3,
  occurredAt: '2026-01-31T12:00:00.000Z',
  who: 'owner.scotia',
  correlationId: 'cor-1',
  causationId: 'cmd-1',
  data: { parcel: 'P1', weightGrams: 1200 },
  seq: 42,
};
const contract = (style: PublishedContract['style']): PublishedContract => ({ event: Shipped, style, link: (data) => `/parcels/${(data as { parcel: string }).parcel}` });

describe('published feed entries as CloudEvents', () => {
  it('maps the envelope onto CloudEvents attributes and valid extension names', () => {
    const event = toCloudEvent({ context: 'shipping', contract: contract('state'), entry });
    expect(event.validate()).toBe(true);
    expect(JSON.parse(JSON.stringify(event))).toEqual({
      specversion: '1.0',
      id: entry.id,
      source: '/eventloom/shipping',
      type: 'shipping.Shipped.v2',
      subject: 'parcel-P1',
      time: '2026-01-31T12:00:00.000Z',
      datacontenttype: 'application/json',
      data: { parcel: 'P1', weightGrams: 1200 },
      sequence: '000000000042',
      streamversion: 3,
      correlationid: 'cor-1',
      causationid: 'cmd-1',
      dataref: '/api/shipping/parcels/P1',
    });
  });

  it('sends a notification thin: what happened and where to read it, not the data', () => {
    const event = toCloudEvent({ context: 'shipping', contract: contract('notification'), entry });
    expect(event.data).toEqual({ id: entry.id, type: 'Shipped', stream: 'parcel-P1', link: '/api/shipping/parcels/P1' });
    expect(JSON.stringify(event)).not.toContain('weightGrams');
  });

  it('round-trips through the CloudEvents HTTP binding as a structured event', () => {
    const message = HTTP.structured(toCloudEvent({ context: 'shipping', contract: contract('delta'), entry }));
    const parsed = HTTP.toEvent(message);
    expect(parsed).toMatchObject({ id: entry.id, type: 'shipping.Shipped.v2', data: entry.data });
  });
});

describe('feed cursors', () => {
  it('are opaque and decode to the seq they were made from', () => {
    const cursor = encodeCursor(1234);
    expect(cursor).not.toContain('1234');
    expect(decodeCursor(cursor)).toBe(1234);
    expect(decodeCursor(undefined)).toBe(0);
  });

  it('refuse anything this gateway did not issue', () => {
    for (const bad of ['1234', 'bm9wZQ', Buffer.from('s-1').toString('base64url'), Buffer.from('s1e99').toString('base64url')]) {
      expect(decodeCursor(bad), bad).toBeUndefined();
    }
  });
});
