/**
 * The part of JSON Schema the gateway's OpenAPI document uses, and one question about
 * it: does a value surely break it? "Surely" is the point. A value counts as invalid
 * only when a server reading it leniently (coercing query text with Number(), trimming
 * strings) would refuse it too, so a request built around such a value must be refused.
 */

export interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  example?: unknown;
  default?: unknown;
}

/** A JSON token written as is: numbers JSON can hold but JavaScript cannot (`1e400`, `-0`, 400 digits). */
export class RawJson {
  readonly text: string;
  /** What JSON.parse makes of it. */
  readonly value: unknown;
  constructor(text: string, value: unknown) {
    this.text = text;
    this.value = value;
  }
}

export const raw = (text: string) => new RawJson(text, JSON.parse(text));

/** Serialises with RawJson tokens kept verbatim and every own key written, `__proto__` included. */
export function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .map((key) => `${JSON.stringify(key)}:${toJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Replaces every `$ref` with the component it names (the document has no cycles). */
export function resolveRefs(schema: Schema, components: Record<string, Schema>): Schema {
  if (schema.$ref) return resolveRefs(components[schema.$ref.replace('#/components/schemas/', '')]!, components);
  const out: Schema = { ...schema };
  if (schema.items) out.items = resolveRefs(schema.items, components);
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, resolveRefs(s, components)]));
  return out;
}

/** Where a value travels: inside a JSON body, or as text in a path or query string. */
export type Carrier = 'json' | 'text';

const types = (schema: Schema): string[] => (schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type]);

/** Can any value break this schema? (A bare `string` in a query cannot.) */
export function breakable(schema: Schema, carrier: Carrier): boolean {
  if (carrier === 'json') return types(schema).length > 0 || schema.enum !== undefined;
  const t = types(schema);
  if (t.includes('string') && schema.enum === undefined && schema.pattern === undefined && schema.format === undefined && !schema.minLength && schema.maxLength === undefined) return false;
  return t.length > 0 || schema.enum !== undefined;
}

const codePoints = (text: string) => [...text].length;

function patternOf(schema: Schema): RegExp | undefined {
  if (schema.pattern === undefined) return undefined;
  try {
    return new RegExp(schema.pattern, 'u');
  } catch {
    return new RegExp(schema.pattern);
  }
}

/** Why a string surely breaks the string rules of a schema, if it does. */
function stringViolation(schema: Schema, text: string): string | undefined {
  const variants = [text, text.trim()];
  const all = (broken: (s: string) => boolean) => variants.every(broken);
  if (schema.enum && all((s) => !schema.enum!.includes(s))) return `not one of ${schema.enum.join(', ')}`;
  if (schema.maxLength !== undefined && all((s) => codePoints(s) > schema.maxLength!)) return `longer than ${schema.maxLength}`;
  if (schema.minLength !== undefined && text.length < schema.minLength) return `shorter than ${schema.minLength}`;
  const pattern = patternOf(schema);
  if (pattern && all((s) => !pattern.test(s))) return `does not match ${schema.pattern}`;
  switch (schema.format) {
    case 'date-time':
      if (all((s) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(s))) return 'not a date-time';
      break;
    case 'email':
      if (all((s) => !/^[^@\s]+@[^@\s]+$/.test(s))) return 'not an email address';
      break;
    case 'uri':
      if (all((s) => !/^[a-z][a-z0-9+.-]*:\S/i.test(s))) return 'not a URI';
      break;
    case 'uuid':
      if (all((s) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s))) return 'not a UUID';
      break;
  }
  return undefined;
}

function numberViolation(schema: Schema, n: number, integer: boolean): string | undefined {
  if (!Number.isFinite(n)) return 'not a finite number';
  if (integer && !Number.isInteger(n)) return 'not a whole number';
  if (schema.minimum !== undefined && n < schema.minimum) return `below ${schema.minimum}`;
  if (schema.exclusiveMinimum !== undefined && n <= schema.exclusiveMinimum) return `not above ${schema.exclusiveMinimum}`;
  if (schema.maximum !== undefined && n > schema.maximum) return `above ${schema.maximum}`;
  if (schema.exclusiveMaximum !== undefined && n >= schema.exclusiveMaximum) return `not below ${schema.exclusiveMaximum}`;
  return undefined;
}

/** Why `value` surely breaks `schema`, or undefined when it may be valid. */
export function violation(schema: Schema, value: unknown, carrier: Carrier): string | undefined {
  if (value instanceof RawJson) return violation(schema, value.value, carrier);
  if (value === undefined) return undefined;
  const t = types(schema);
  if (carrier === 'text') {
    const text = String(value);
    if (t.includes('null') && (text === '' || text === 'null')) return undefined;
    if (t.includes('string')) return stringViolation(schema, text);
    if (t.includes('integer') || t.includes('number')) {
      // Number('') is 0 and parseFloat('12abc') is 12: broken only if broken both ways.
      const integer = !t.includes('number');
      const strict = numberViolation(schema, Number(text), integer);
      return strict && numberViolation(schema, Number.parseFloat(text), integer) ? strict : undefined;
    }
    if (t.includes('boolean')) return ['true', 'false', '1', '0', ''].includes(text) ? undefined : 'not a boolean';
    return schema.enum ? stringViolation(schema, text) : undefined;
  }
  if (t.length === 0) return schema.enum && !schema.enum.includes(value) ? 'not in the enum' : undefined;
  if (value === null) return t.includes('null') ? undefined : 'null';
  if (typeof value === 'string') return t.includes('string') ? stringViolation(schema, value) : `a string where ${t.join('|')} belongs`;
  if (typeof value === 'boolean') return t.includes('boolean') ? undefined : `a boolean where ${t.join('|')} belongs`;
  if (typeof value === 'number') {
    if (!t.includes('number') && !t.includes('integer')) return `a number where ${t.join('|')} belongs`;
    return numberViolation(schema, value, !t.includes('number'));
  }
  if (Array.isArray(value)) {
    if (!t.includes('array')) return `an array where ${t.join('|')} belongs`;
    if (schema.minItems !== undefined && value.length < schema.minItems) return `fewer than ${schema.minItems} items`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `more than ${schema.maxItems} items`;
    for (const [i, item] of value.entries()) {
      const why = schema.items && violation(schema.items, item, carrier);
      if (why) return `[${i}] ${why}`;
    }
    return undefined;
  }
  if (!t.includes('object')) return `an object where ${t.join('|')} belongs`;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  for (const key of schema.required ?? []) if (!keys.includes(key) || object[key] === undefined) return `no ${key}`;
  for (const key of keys) {
    const property = Object.hasOwn(schema.properties ?? {}, key) ? schema.properties![key] : undefined;
    if (!property) {
      if (schema.additionalProperties === false) return `unknown field ${JSON.stringify(key)}`;
      continue;
    }
    const why = violation(property, object[key], carrier);
    if (why) return `${key}: ${why}`;
  }
  return undefined;
}
