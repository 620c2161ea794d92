/**
 * An example for a request body that names none, made from its schema: what a route's
 * fields say of themselves (`example`, `examples`, `default`, `const`, the first of an
 * `enum`), else a value of the field's type within its bounds and pattern. Required
 * fields always, optional ones only when they carry an example of their own. A team's
 * new route gets a body example in `/openapi.json` without writing one; a route that
 * names a better one keeps it. `undefined` when no valid value could be made (a pattern
 * none of the candidates fits): the body then goes without.
 */
type Schema = {
  $ref?: string;
  type?: string | string[];
  example?: unknown;
  examples?: unknown[];
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  multipleOf?: number;
  minItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};

const byFormat: Record<string, string> = {
  'date-time': '2026-03-01T14:00:00.000Z',
  date: '2026-03-01',
  email: 'ada@example.com',
  uuid: '0190f3c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f',
  uri: 'https://consumer.example.com/hooks/eventloom',
  url: 'https://consumer.example.com/hooks/eventloom',
};
const strings = ['example', 'example-1', 'ex1', 'EX-1', 'e', '1', 'A1', '+1 555 0100'];

export function exampleOf(schema: Schema, schemas: Record<string, Schema>, depth = 0): unknown {
  if (depth > 8) return undefined;
  if (schema.$ref) {
    const target = schemas[schema.$ref.replace('#/components/schemas/', '')];
    return target ? exampleOf(target, schemas, depth + 1) : undefined;
  }
  for (const own of [schema.example, schema.examples?.[0], schema.default, schema.const, schema.enum?.[0]]) if (own !== undefined) return own;
  const choice = schema.oneOf ?? schema.anyOf;
  if (choice) {
    for (const option of choice) {
      if (option.type === 'null') continue;
      const value = exampleOf(option, schemas, depth + 1);
      if (value !== undefined) return value;
    }
    return undefined;
  }
  if (schema.allOf) {
    const parts = schema.allOf.map((part) => exampleOf(part, schemas, depth + 1));
    return parts.every((part) => typeof part === 'object' && part !== null) ? Object.assign({}, ...parts) : parts[0];
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type ?? (schema.properties ? 'object' : undefined)) {
    case 'object': {
      const value: Record<string, unknown> = {};
      const required = new Set(schema.required ?? []);
      for (const [name, field] of Object.entries(schema.properties ?? {})) {
        const own = required.has(name) || field.example !== undefined || field.examples !== undefined;
        if (!own) continue;
        const made = exampleOf(field, schemas, depth + 1);
        if (made === undefined) {
          if (required.has(name)) return undefined;
          continue;
        }
        value[name] = made;
      }
      return value;
    }
    case 'array': {
      const item = schema.items ? exampleOf(schema.items, schemas, depth + 1) : undefined;
      return item === undefined ? (schema.minItems ? undefined : []) : Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => item);
    }
    case 'integer':
    case 'number': {
      const floor = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : (schema.minimum ?? 1);
      const value = Math.max(floor, 1);
      const stepped = schema.multipleOf ? Math.ceil(value / schema.multipleOf) * schema.multipleOf : value;
      return schema.maximum !== undefined && stepped > schema.maximum ? schema.maximum : stepped;
    }
    case 'boolean':
      return true;
    case 'string':
      return stringOf(schema);
    default:
      return undefined;
  }
}

function stringOf(schema: Schema): string | undefined {
  const fits = (value: string) =>
    value.length >= (schema.minLength ?? 0) && value.length <= (schema.maxLength ?? Number.POSITIVE_INFINITY) && (!schema.pattern || new RegExp(schema.pattern, 'u').test(value));
  const candidates = [...(schema.format && byFormat[schema.format] ? [byFormat[schema.format]!] : []), ...strings];
  for (const candidate of candidates) {
    const sized = candidate.length < (schema.minLength ?? 0) ? candidate.padEnd(schema.minLength!, 'x') : candidate;
    if (fits(sized)) return sized;
  }
  return undefined;
}
