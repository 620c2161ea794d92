/**
 * Values to send: odd ones (strings, numbers, keys and JSON that broke parsers before),
 * faults that surely break a given schema, and plausible ones to fill the rest of a
 * request so that a fault is what the gateway has to find.
 */
import fc from 'fast-check';
import { raw, RawJson, violation, type Carrier, type Schema } from './schema.ts';

const nastyStrings = [
  '', ' ', '\u0000', '\t\r\n', '\u202e', '\ufeff', '\u2028', '😀', 'e\u0301', '\ud800', '%', '%00', '%zz', '%%', '..', '.', '/', '\\', '"', "'",
  '<script>', '${7*7}', '{{7*7}}', 'null', 'undefined', 'NaN', 'Infinity', '-1', '0', '1e400', '0x10', ' 1', '[]', '{}',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', '*', ',', '&', '=', '?', '#', 'ÿ', 'İ', 'ǅ', 'ß', '\u00a0',
];

/** Odd strings, up to `longest` characters (paths and queries must stay under the header limit). */
export function oddString(longest: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...nastyStrings) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('\u0000', '\u001f', '\u007f', '\u2028', '😀', '\ud800', 'a', ' ', '"', '\\', '%'), maxLength: 40 }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'é', '😀', '\u0000', ' '), fc.integer({ min: Math.min(50, longest), max: longest })).map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length))) },
  );
}

/** Numbers at and past the edges, some only expressible as raw JSON (`1e400`, 400 digits, `-0`). */
export const oddNumber: fc.Arbitrary<number | RawJson> = fc.oneof(
  fc.constantFrom<number | RawJson>(
    -1, 0, 1.5, -0.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 53) - 2, 1e21, -1e21, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE,
    raw('1e400'), raw('-1e400'), raw('-0'), raw(`1${'0'.repeat(400)}`), raw(`0.${'0'.repeat(400)}1`), raw('1E+2'), raw('1.0'),
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((n) => raw(n.toString())),
);

/** Object keys that have confused code copying objects around. */
export const oddKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', '', ' ', '\u0000', '😀', 'a.b', '0', '-1', '$where', 'length'),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.integer({ min: 200, max: 3000 }).map((n) => 'k'.repeat(n)),
);

/** Any JSON, built from odd parts. Objects keep `__proto__` as an own key (Object.fromEntries). */
export const oddJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    oddString(300),
    oddNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(oddKey, tie('value')), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
  ),
})).value;

const numberText = oddNumber.map((n) => (n instanceof RawJson ? n.text : String(n)));

/** Values just past each edge the schema states. */
function edges(schema: Schema, carrier: Carrier): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [];
  const asCarried = (n: number) => (carrier === 'text' ? String(n) : n);
  const past = (n: number | undefined, by: number) => (n === undefined ? undefined : n + by);
  const limits = [past(schema.minimum, -1), schema.exclusiveMinimum, past(schema.maximum, 1), schema.exclusiveMaximum, (schema.minimum ?? 0) + 0.5];
  for (const n of limits) if (typeof n === 'number') out.push(fc.constant(asCarried(n)));
  if (schema.maxLength !== undefined) {
    // In a URL each character may take up to 12 bytes; past 16 KiB Node itself refuses the request (431).
    const units = carrier === 'text' && schema.maxLength > 1000 ? ['a', '%'] : ['a', 'é', '😀', '%'];
    out.push(fc.tuple(fc.constantFrom(...units), fc.integer({ min: 1, max: 50 })).map(([unit, extra]) => unit.repeat(schema.maxLength! + extra)));
  }
  if (schema.minLength) out.push(fc.constant(''));
  if (schema.enum) out.push(fc.constantFrom(...schema.enum.map((v) => `${String(v).toUpperCase()} `), ...schema.enum.map((v) => `${String(v)}\u0000`)));
  if (schema.maxItems !== undefined) out.push(fc.constant(Array.from({ length: schema.maxItems + 1 }, () => 'x')));
  if (schema.minItems) out.push(fc.constant([]));
  return out;
}

/** Values that surely break `schema` where it is carried (a JSON body, or path and query text). */
export function faultOf(schema: Schema, carrier: Carrier): fc.Arbitrary<unknown> {
  const candidates = carrier === 'text' ? [oddString(800), numberText, ...edges(schema, carrier)] : [oddJson, oddNumber, ...edges(schema, carrier)];
  return fc.oneof(...candidates).filter((value) => violation(schema, value, carrier) !== undefined);
}

/** Strings matching the schema's pattern, when fast-check can make them (it knows no `\p{…}`). */
function patternString(schema: Schema): fc.Arbitrary<string> | undefined {
  const fits = (s: string) => violation(schema, s, 'json') === undefined;
  try {
    const matching = fc.stringMatching(new RegExp(schema.pattern!));
    // A filter that never passes would spin for ever: try a few first.
    return fc.sample(matching, { numRuns: 20, seed: 1 }).some(fits) ? matching.filter(fits) : undefined;
  } catch {
    return undefined;
  }
}

/** A value that may well be valid for `schema` (a request's other fields, so the fault is what is refused). */
export function plausible(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.example !== undefined && !violation(schema, schema.example, 'json')) return fc.constant(schema.example);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.format === 'email') return fc.constant('someone@example.com');
      // Never a real outside address: a webhook registered by chance calls nobody.
      if (schema.format === 'uri') return fc.constant('http://127.0.0.1:9/hook');
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.pattern) return patternString(schema) ?? fc.constant('A');
      // Odd but allowed strings reach what lies behind validation: storage keys, cursors, caches.
      const odd = oddString(Math.min(schema.maxLength ?? 300, 300)).filter((s) => violation(schema, s, 'json') === undefined);
      return fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: Math.max(1, schema.minLength ?? 0), maxLength: Math.min(schema.maxLength ?? 20, 20) }), odd);
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? Math.floor(schema.exclusiveMinimum) + 1 : 0);
      return fc.integer({ min, max: Math.min(schema.maximum ?? min + 1000, min + 1000) });
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items ? plausible(schema.items) : fc.constant({}), { minLength: Math.max(1, schema.minItems ?? 0), maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      const record = Object.fromEntries(properties.map(([key, property]) => [key, plausible(property)]));
      return fc.record(record, { requiredKeys: schema.required ?? [] });
    }
    default:
      return fc.constant(null);
  }
}
