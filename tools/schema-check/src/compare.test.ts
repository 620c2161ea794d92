import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compareSchemas, type JsonSchema } from './compare.ts';

const json = (schema: z.ZodType) => z.toJSONSchema(schema) as JsonSchema;
const breaks = (before: z.ZodType, after: z.ZodType) =>
  compareSchemas(json(before), json(after))
    .filter((c) => c.breaking)
    .map((c) => c.message);
const compatible = (before: z.ZodType, after: z.ZodType) =>
  compareSchemas(json(before), json(after))
    .filter((c) => !c.breaking)
    .map((c) => c.message);

const deposited = z.object({
  customer: z.string(),
  bank: z.enum(['first-citizens', 'republic', 'scotia']),
  amountCents: z.number().int().positive(),
  memo: z.string().optional(),
});

describe('breaking changes', () => {
  it('names a removed field', () => {
    expect(breaks(deposited, deposited.omit({ amountCents: true }))).toEqual(['field "amountCents" was removed']);
  });

  it('names a removed optional field too (consumers may read it)', () => {
    expect(breaks(deposited, deposited.omit({ memo: true }))).toEqual(['field "memo" was removed']);
  });

  it('names a retyped field', () => {
    expect(breaks(deposited, deposited.extend({ amountCents: z.string() }))).toEqual(['field "amountCents" was retyped from integer to string']);
  });

  it('treats number → integer as a retype (stored fractions would fail)', () => {
    expect(breaks(z.object({ rate: z.number() }), z.object({ rate: z.number().int() }))).toEqual(['field "rate" was retyped from number to integer']);
  });

  it('refuses a new required field without a default', () => {
    expect(breaks(deposited, deposited.extend({ channel: z.string() }))).toEqual([
      'new field "channel" is required without a default (stored events lack it)',
    ]);
  });

  it('refuses making an optional field required', () => {
    expect(breaks(deposited, deposited.extend({ memo: z.string() }))).toEqual([
      'field "memo" became required without a default (stored events may lack it)',
    ]);
  });

  it('refuses making a required field optional (consumers rely on it)', () => {
    expect(breaks(deposited, deposited.extend({ customer: z.string().optional() }))).toEqual([
      'field "customer" is no longer required (consumers rely on it being there)',
    ]);
  });

  it('names the values a narrowed enum lost', () => {
    expect(breaks(deposited, deposited.extend({ bank: z.enum(['first-citizens', 'republic']) }))).toEqual([
      'field "bank" no longer allows "scotia" (enum narrowed)',
    ]);
  });

  it('refuses turning a free string into an enum or a literal', () => {
    expect(breaks(deposited, deposited.extend({ customer: z.enum(['U1001']) }))).toEqual(['field "customer" was narrowed to "U1001"']);
    expect(breaks(z.object({ kind: z.literal('a') }), z.object({ kind: z.literal('b') }))).toEqual(['field "kind" no longer allows "a" (enum narrowed)']);
  });

  it('refuses dropping null from a nullable field', () => {
    expect(breaks(z.object({ note: z.string().nullable() }), z.object({ note: z.string() }))).toEqual(['field "note" no longer accepts null']);
  });

  it('refuses tightened bounds and lengths', () => {
    expect(breaks(deposited, deposited.extend({ amountCents: z.number().int().min(100) }))).toEqual([
      'field "amountCents" minimum tightened from > 0 to ≥ 100',
    ]);
    expect(breaks(z.object({ year: z.number().int().max(2100) }), z.object({ year: z.number().int().max(2030) }))).toEqual([
      'field "year" maximum tightened from ≤ 2100 to ≤ 2030',
    ]);
    expect(breaks(z.object({ name: z.string() }), z.object({ name: z.string().min(1).max(80) }))).toEqual([
      'field "name" needs at least 1 characters now (was 0)',
      'field "name" allows at most 80 characters now (was no limit)',
    ]);
    expect(breaks(z.object({ lines: z.array(z.string()) }), z.object({ lines: z.array(z.string()).min(1) }))).toEqual([
      'field "lines" needs at least 1 items now (was 0)',
    ]);
  });

  it('refuses a new pattern or format on a string', () => {
    expect(breaks(z.object({ at: z.string() }), z.object({ at: z.iso.datetime() }))).toEqual([
      'field "at" gained a pattern (old values may not match)',
      'field "at" gained format "date-time"',
    ]);
  });

  it('finds changes inside nested objects, arrays and maps', () => {
    const order = (line: z.ZodType, tags: z.ZodType = z.record(z.string(), z.number())) =>
      z.object({ shipTo: z.object({ city: z.string(), zip: z.string() }), details: z.array(line), tags });
    const line = z.object({ productId: z.number().int(), quantity: z.number().int() });
    expect(
      breaks(
        order(line),
        order(line.extend({ quantity: z.string() })).extend({ shipTo: z.object({ city: z.string() }) }),
      ),
    ).toEqual(['field "shipTo.zip" was removed', 'field "details[].quantity" was retyped from integer to string']);
    expect(breaks(order(line), order(line, z.record(z.string(), z.string())))).toEqual(['field "tags.*" was retyped from number to string']);
  });

  it('refuses narrowing a union or an unknown value', () => {
    expect(breaks(z.object({ id: z.union([z.string(), z.number()]) }), z.object({ id: z.string() }))).toEqual(['field "id" no longer accepts number']);
    expect(breaks(z.object({ extra: z.unknown() }), z.object({ extra: z.string() }))).toEqual([
      'field "extra" was narrowed from any value to string',
    ]);
  });

  it('refuses retyping the whole event data', () => {
    expect(breaks(deposited, z.array(z.string()))).toEqual(['the event data was retyped from object to array']);
  });

  it('follows $ref into $defs on both sides', () => {
    const recorded: JsonSchema = {
      type: 'object',
      properties: { to: { $ref: '#/$defs/Address' } },
      required: ['to'],
      $defs: { Address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    };
    const current: JsonSchema = { ...recorded, $defs: { Address: { type: 'object', properties: {}, required: [] } } };
    expect(compareSchemas(recorded, current).map((c) => c.message)).toEqual(['field "to.city" was removed']);
  });

  it('does not guess about constraints it does not understand', () => {
    const recorded: JsonSchema = { type: 'object', properties: { a: { type: 'string' } }, required: [] };
    const current: JsonSchema = { ...recorded, properties: { a: { type: 'string', not: { const: '' } } } };
    expect(compareSchemas(recorded, current).map((c) => c.message)).toEqual([
      'field "a" changed its "not" constraint, which this check cannot prove compatible',
    ]);
  });
});

describe('compatible changes', () => {
  it('finds nothing when the schema is the same', () => {
    expect(compareSchemas(json(deposited), json(deposited))).toEqual([]);
  });

  it('passes a new optional field', () => {
    const after = deposited.extend({ channel: z.enum(['web', 'branch']).optional() });
    expect(breaks(deposited, after)).toEqual([]);
    expect(compatible(deposited, after)).toEqual(['new optional field "channel"']);
  });

  it('passes a new required field that has a default', () => {
    const after = deposited.extend({ currency: z.string().default('USD') });
    expect(breaks(deposited, after)).toEqual([]);
    expect(compatible(deposited, after)).toEqual(['new defaulted field "currency"']);
  });

  it('passes an optional field that becomes required with a default', () => {
    expect(breaks(deposited, deposited.extend({ memo: z.string().default('') }))).toEqual([]);
  });

  it('passes a widened enum, a nullable field and integer → number', () => {
    expect(breaks(deposited, deposited.extend({ bank: z.enum(['first-citizens', 'republic', 'scotia', 'royal']) }))).toEqual([]);
    expect(compatible(deposited, deposited.extend({ bank: z.enum(['first-citizens', 'republic', 'scotia', 'royal']) }))).toEqual([
      'field "bank" also allows "royal"',
    ]);
    expect(breaks(deposited, deposited.extend({ memo: z.string().nullable().optional() }))).toEqual([]);
    expect(breaks(deposited, deposited.extend({ amountCents: z.number().positive() }))).toEqual([]);
  });

  it('passes loosened bounds, lengths and a removed pattern', () => {
    expect(breaks(z.object({ n: z.number().int().min(1).max(10) }), z.object({ n: z.number().int().min(0) }))).toEqual([]);
    expect(breaks(z.object({ s: z.string().min(2).max(5).regex(/^a/) }), z.object({ s: z.string() }))).toEqual([]);
  });

  it('ignores descriptions and titles', () => {
    expect(breaks(deposited, deposited.describe('money in').extend({ customer: z.string().describe('U-number') }))).toEqual([]);
  });
});
