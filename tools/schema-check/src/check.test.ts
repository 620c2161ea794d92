import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineContext, defineEvent, publish, type ContextDefinition } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkSchemas } from './check.ts';
import { publishedSchemas } from './published.ts';
import { readRecorded, writeRecorded } from './records.ts';

const shipped = (version: number, schema: z.ZodType, upcasters: Record<number, (data: unknown) => unknown> = {}) =>
  defineEvent('Shipped', { schema, version, upcasters });
const shipping = (event: ReturnType<typeof shipped>, published = true): ContextDefinition =>
  defineContext({
    name: 'shipping',
    events: [event],
    aggregates: [],
    projections: [],
    contracts: { published: published ? [{ event, style: 'state', description: 'A parcel left the depot.' }] : [] },
  });

const v1 = shipped(1, z.object({ parcelId: z.string(), grams: z.number().int() }));

/** Records a context's schemas in a fresh directory, the way `--record` does. */
function recordedRepo(context: ContextDefinition): string {
  const root = mkdtempSync(join(tmpdir(), 'schema-check-'));
  for (const schema of publishedSchemas(context)) writeRecorded(root, schema);
  return root;
}

describe('checking published schemas against the recorded ones', () => {
  it('records a published event as schemas/{context}/{Type}.v{version}.json', () => {
    const root = recordedRepo(shipping(v1));
    expect(readRecorded(root)).toEqual([
      expect.objectContaining({
        context: 'shipping',
        type: 'Shipped',
        version: 1,
        schema: expect.objectContaining({ title: 'shipping.Shipped v1', 'x-eventloom': { context: 'shipping', type: 'Shipped', version: 1, style: 'state' } }),
      }),
    ]);
  });

  it('passes when nothing changed', () => {
    const root = recordedRepo(shipping(v1));
    const report = checkSchemas(publishedSchemas(shipping(v1)), readRecorded(root));
    expect(report).toMatchObject({ breaking: [], unrecorded: [], compatible: [], toRecord: [], unchanged: 1 });
  });

  it('fails on an event version that is not recorded, and offers to record it', () => {
    const report = checkSchemas(publishedSchemas(shipping(v1)), []);
    expect(report.unrecorded).toEqual(['shipping.Shipped v1: not recorded in schemas/shipping/Shipped.v1.json']);
    expect(report.toRecord.map((s) => s.schema.title)).toEqual(['shipping.Shipped v1']);
  });

  it('fails naming context, event and field, and never records a breaking change', () => {
    const root = recordedRepo(shipping(v1));
    const renamed = shipped(1, z.object({ parcelId: z.string(), weightGrams: z.number().int() }));
    const report = checkSchemas(publishedSchemas(shipping(renamed)), readRecorded(root));
    expect(report.breaking).toEqual([
      'shipping.Shipped v1: field "grams" was removed',
      'shipping.Shipped v1: new field "weightGrams" is required without a default (stored events lack it)',
    ]);
    expect(report.toRecord).toEqual([]);
  });

  it('passes a compatible change and records it with --record', () => {
    const root = recordedRepo(shipping(v1));
    const withCarrier = shipped(1, z.object({ parcelId: z.string(), grams: z.number().int(), carrier: z.string().optional() }));
    const report = checkSchemas(publishedSchemas(shipping(withCarrier)), readRecorded(root));
    expect(report.breaking).toEqual([]);
    expect(report.compatible).toEqual(['shipping.Shipped v1: new optional field "carrier"']);
    writeRecorded(root, report.toRecord[0]!);
    expect(checkSchemas(publishedSchemas(shipping(withCarrier)), readRecorded(root)).unchanged).toBe(1);
  });

  it('takes a breaking shape as a new version beside the old one', () => {
    const root = recordedRepo(shipping(v1));
    const v2 = shipped(2, z.object({ parcelId: z.string(), weight: z.object({ value: z.number(), unit: z.enum(['g', 'kg']) }) }), {
      1: (data) => ({ parcelId: (data as { parcelId: string }).parcelId, weight: { value: (data as { grams: number }).grams, unit: 'g' } }),
    });
    const report = checkSchemas(publishedSchemas(shipping(v2)), readRecorded(root));
    expect(report.breaking).toEqual([]);
    expect(report.unrecorded).toEqual([
      'shipping.Shipped v2: not recorded in schemas/shipping/Shipped.v2.json (events stored at v1 are read through upcasters)',
    ]);
    writeRecorded(root, report.toRecord[0]!);
    expect(readRecorded(root).map((r) => `${r.type}.v${r.version}`)).toEqual(['Shipped.v1', 'Shipped.v2']);
    expect(checkSchemas(publishedSchemas(shipping(v2)), readRecorded(root)).unchanged).toBe(1);
  });

  it('fails when a version goes back or a published event disappears', () => {
    const root = recordedRepo(shipping(shipped(2, z.object({ parcelId: z.string() }), { 1: (d) => d })));
    expect(checkSchemas(publishedSchemas(shipping(v1)), readRecorded(root)).breaking).toEqual([
      'shipping.Shipped v1: v2 is recorded but the code is at v1; a version never goes back',
    ]);
    expect(checkSchemas(publishedSchemas(shipping(v1, false)), readRecorded(root)).breaking).toEqual([
      'shipping.Shipped: recorded (schemas/shipping/Shipped.v2.json) but no longer published; consumers may rely on it (if none does, delete its files under schemas/)',
    ]);
  });

  it('fails when a state event becomes a thin notification, passes the other way', () => {
    const asState = recordedRepo(shipping(v1));
    const thin = defineContext({ ...shipping(v1), contracts: { published: [{ event: v1, style: 'notification', description: 'A parcel left the depot.' }] } });
    expect(checkSchemas(publishedSchemas(thin), readRecorded(asState)).breaking).toEqual([
      'shipping.Shipped v1: published as a thin notification now (was state): the feed no longer carries its data',
    ]);
    const asNotification = recordedRepo(thin);
    expect(checkSchemas(publishedSchemas(shipping(v1)), readRecorded(asNotification))).toMatchObject({
      breaking: [],
      compatible: ['shipping.Shipped v1: published as state now (was notification)'],
    });
  });

  it('leaves contexts outside --context alone', () => {
    const report = checkSchemas(publishedSchemas(shipping(v1)), [], ['banking']);
    expect(report).toMatchObject({ breaking: [], unrecorded: [], toRecord: [] });
  });

  it('checks a contract type, not the internal event it is mapped from: the internal event may change freely', () => {
    const Sent = defineEvent('ParcelSent', { schema: z.object({ parcelId: z.string(), grams: z.number().int() }) });
    const from = (event: ReturnType<typeof shipped>, map: (data: never) => { parcelId: string; grams: number }) =>
      defineContext({ name: 'shipping', events: [event], aggregates: [], projections: [], contracts: { published: [publish(Sent, { from: event as never, map, style: 'state' })] } });
    const root = recordedRepo(from(v1, (d: { parcelId: string; grams: number }) => d));
    expect(readRecorded(root).map((r) => `${r.type} v${r.version}`)).toEqual(['ParcelSent v1']);
    // The internal Shipped drops a field and gains a version; the contract type is as it was.
    const refactored = shipped(2, z.object({ parcel: z.string(), grams: z.number().int() }), { 1: (d) => ({ parcel: (d as { parcelId: string }).parcelId, grams: (d as { grams: number }).grams }) });
    const report = checkSchemas(publishedSchemas(from(refactored, (d: { parcel: string; grams: number }) => ({ parcelId: d.parcel, grams: d.grams }))), readRecorded(root));
    expect(report).toMatchObject({ breaking: [], unrecorded: [], compatible: [], unchanged: 1 });
  });
});
