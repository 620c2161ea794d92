import { isDeepStrictEqual } from 'node:util';

/** A JSON Schema (2020-12) node, as z.toJSONSchema writes it. */
export type JsonSchema = { [keyword: string]: unknown };

/** One difference between the recorded schema of an event version and the current one. */
export interface SchemaChange {
  /** Breaking: a stored event or a consumer that worked before may fail now. */
  breaking: boolean;
  /** Dotted path of the field (`Details[].CategoryId`), or '' for the data itself. */
  field: string;
  message: string;
}

/**
 * Compares the recorded schema of one event version with the current one.
 *
 * The rule for a change within a version: the current schema must accept every
 * event that was valid before (stored events are read with it, never rewritten), and
 * must keep every field consumers already read (none removed, none made optional).
 * So removed, retyped or newly required fields, narrowed enums and tightened bounds
 * break; new optional fields, new fields with a default and widened types do not.
 * A change that breaks needs a new schemaVersion with an upcaster instead.
 */
export function compareSchemas(recorded: JsonSchema, current: JsonSchema): SchemaChange[] {
  const changes: SchemaChange[] = [];
  new Comparison(recorded, current, changes).node(recorded, current, '');
  return changes;
}

/** Keywords that document but do not constrain: a change to them is never breaking. */
const annotations = new Set([
  '$schema',
  '$id',
  '$comment',
  '$defs',
  'definitions',
  'title',
  'description',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'default',
  'propertyNames',
  'x-eventloom',
]);

/** Keywords this comparison understands; any other constraint must stay exactly as it was. */
const understood = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minItems',
  'maxItems',
  'uniqueItems',
  'anyOf',
  'oneOf',
  '$ref',
]);

type Kind = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'any';

interface Bound {
  value: number;
  exclusive: boolean;
}

const subject = (field: string) => (field ? `field "${field}"` : 'the event data');
const list = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join(', ');

class Comparison {
  private readonly oldRoot: JsonSchema;
  private readonly newRoot: JsonSchema;
  private readonly changes: SchemaChange[];

  constructor(oldRoot: JsonSchema, newRoot: JsonSchema, changes: SchemaChange[]) {
    this.oldRoot = oldRoot;
    this.newRoot = newRoot;
    this.changes = changes;
  }

  private breaking(field: string, message: string): void {
    this.changes.push({ breaking: true, field, message });
  }

  private compatible(field: string, message: string): void {
    this.changes.push({ breaking: false, field, message });
  }

  /** Compares two schema nodes, which may be unions (anyOf, oneOf, a list of types). */
  node(oldNode: unknown, newNode: unknown, field: string): void {
    const oldBranches = branches(resolve(oldNode, this.oldRoot), this.oldRoot);
    const newBranches = branches(resolve(newNode, this.newRoot), this.newRoot);
    const newAcceptsAnything = newBranches.some((b) => kindOf(b) === 'any' && !hasConstraints(b));
    if (newAcceptsAnything) {
      if (!oldBranches.some((b) => kindOf(b) === 'any' && !hasConstraints(b))) this.compatible(field, `${subject(field)} now accepts any value`);
      return;
    }
    const oldAcceptsAnything = oldBranches.some((b) => kindOf(b) === 'any' && !hasConstraints(b));
    if (oldAcceptsAnything) {
      this.breaking(field, `${subject(field)} was narrowed from any value to ${describeKinds(newBranches)}`);
      return;
    }
    const lost: JsonSchema[] = [];
    const matched = new Set<JsonSchema>();
    for (const oldBranch of oldBranches) {
      const oldKind = kindOf(oldBranch);
      const candidates = newBranches.filter((b) => accepts(kindOf(b), oldKind));
      const partner = candidates.find((b) => kindOf(b) === oldKind) ?? candidates[0];
      if (!partner) {
        lost.push(oldBranch);
        continue;
      }
      matched.add(partner);
      this.branch(oldBranch, partner, field);
    }
    if (lost.length > 0) {
      const newKinds = newBranches.map(kindOf);
      const narrowedOnly = newKinds.every((k) => oldBranches.some((b) => kindOf(b) === k));
      this.breaking(
        field,
        narrowedOnly
          ? `${subject(field)} no longer accepts ${describeKinds(lost)}`
          : `${subject(field)} was retyped from ${describeKinds(oldBranches)} to ${describeKinds(newBranches)}`,
      );
    }
    const gained = newBranches.filter((b) => !matched.has(b));
    if (gained.length > 0 && lost.length === 0) this.compatible(field, `${subject(field)} now also accepts ${describeKinds(gained)}`);
  }

  /** Compares two branches of the same (or a wider) kind. */
  private branch(oldNode: JsonSchema, newNode: JsonSchema, field: string): void {
    this.values(oldNode, newNode, field);
    const kind = kindOf(newNode);
    if (kind === 'object') this.object(oldNode, newNode, field);
    if (kind === 'array') this.array(oldNode, newNode, field);
    if (kind === 'string') this.string(oldNode, newNode, field);
    if (kind === 'number' || kind === 'integer') this.number(oldNode, newNode, field);
    for (const keyword of new Set([...Object.keys(oldNode), ...Object.keys(newNode)])) {
      if (annotations.has(keyword) || understood.has(keyword) || keyword.startsWith('x-')) continue;
      if (!isDeepStrictEqual(oldNode[keyword], newNode[keyword])) {
        this.breaking(field, `${subject(field)} changed its "${keyword}" constraint, which this check cannot prove compatible`);
      }
    }
  }

  /** enum and const: the allowed values may grow, never shrink. */
  private values(oldNode: JsonSchema, newNode: JsonSchema, field: string): void {
    const oldValues = allowedValues(oldNode);
    const newValues = allowedValues(newNode);
    if (!newValues) {
      if (oldValues) this.compatible(field, `${subject(field)} accepts any ${kindOf(newNode)} now, not only ${list(oldValues)}`);
      return;
    }
    if (!oldValues) {
      this.breaking(field, `${subject(field)} was narrowed to ${list(newValues)}`);
      return;
    }
    const removed = oldValues.filter((v) => !newValues.some((n) => isDeepStrictEqual(n, v)));
    const added = newValues.filter((v) => !oldValues.some((o) => isDeepStrictEqual(o, v)));
    if (removed.length > 0) this.breaking(field, `${subject(field)} no longer allows ${list(removed)} (enum narrowed)`);
    if (added.length > 0) this.compatible(field, `${subject(field)} also allows ${list(added)}`);
  }

  private object(oldNode: JsonSchema, newNode: JsonSchema, field: string): void {
    const oldProps = (oldNode.properties ?? {}) as Record<string, unknown>;
    const newProps = (newNode.properties ?? {}) as Record<string, unknown>;
    const oldRequired = new Set((oldNode.required ?? []) as string[]);
    const newRequired = new Set((newNode.required ?? []) as string[]);
    const at = (key: string) => (field ? `${field}.${key}` : key);

    for (const [key, oldProp] of Object.entries(oldProps)) {
      if (!(key in newProps)) {
        this.breaking(at(key), `${subject(at(key))} was removed`);
        continue;
      }
      this.node(oldProp, newProps[key], at(key));
      if (oldRequired.has(key) && !newRequired.has(key)) {
        this.breaking(at(key), `${subject(at(key))} is no longer required (consumers rely on it being there)`);
      }
      if (!oldRequired.has(key) && newRequired.has(key) && !hasDefault(newProps[key], this.newRoot)) {
        this.breaking(at(key), `${subject(at(key))} became required without a default (stored events may lack it)`);
      }
    }
    for (const key of Object.keys(newProps)) {
      if (key in oldProps) continue;
      if (newRequired.has(key) && !hasDefault(newProps[key], this.newRoot)) {
        this.breaking(at(key), `new ${subject(at(key))} is required without a default (stored events lack it)`);
      } else {
        this.compatible(at(key), `new ${newRequired.has(key) ? 'defaulted' : 'optional'} ${subject(at(key))}`);
      }
    }

    // Maps (z.record): the values are compared like a field named `*`.
    const oldExtra = oldNode.additionalProperties;
    const newExtra = newNode.additionalProperties;
    if (isSchema(oldExtra) && isSchema(newExtra)) this.node(oldExtra, newExtra, at('*'));
    else if (isSchema(oldExtra) && newExtra === false) this.breaking(field, `${subject(field)} no longer accepts keys other than its fields`);
  }

  private array(oldNode: JsonSchema, newNode: JsonSchema, field: string): void {
    if (oldNode.items !== undefined && newNode.items !== undefined) this.node(oldNode.items, newNode.items, `${field}[]`);
    else if (oldNode.items === undefined && newNode.items !== undefined) this.breaking(field, `${subject(field)} now restricts its items`);
    this.count(oldNode, newNode, field, 'minItems', 'maxItems', 'items');
    if (newNode.uniqueItems === true && oldNode.uniqueItems !== true) this.breaking(field, `${subject(field)} now needs unique items`);
  }

  private string(oldNode: JsonSchema, newNode: JsonSchema, field: string): void {
    this.count(oldNode, newNode, field, 'minLength', 'maxLength', 'characters');
    if (newNode.pattern !== undefined && newNode.pattern !== oldNode.pattern) {
      this.breaking(field, `${subject(field)} ${oldNode.pattern === undefined ? 'gained a pattern' : 'changed its pattern'} (old values may not match)`);
    }
    if (newNode.format !== undefined && newNode.format !== oldNode.format) {
      this.breaking(field, `${subject(field)} ${oldNode.format === undefined ? 'gained' : 'changed to'} format "${String(newNode.format)}"`);
    }
  }

  private number(oldNode: JsonSchema, newNode: JsonSchema, field: string): void {
    const [oldLow, newLow] = [lowerBound(oldNode), lowerBound(newNode)];
    if (newLow && (!oldLow || newLow.value > oldLow.value || (newLow.value === oldLow.value && newLow.exclusive && !oldLow.exclusive))) {
      this.breaking(field, `${subject(field)} minimum tightened from ${showBound(oldLow, '>')} to ${showBound(newLow, '>')}`);
    }
    const [oldHigh, newHigh] = [upperBound(oldNode), upperBound(newNode)];
    if (newHigh && (!oldHigh || newHigh.value < oldHigh.value || (newHigh.value === oldHigh.value && newHigh.exclusive && !oldHigh.exclusive))) {
      this.breaking(field, `${subject(field)} maximum tightened from ${showBound(oldHigh, '<')} to ${showBound(newHigh, '<')}`);
    }
    const [oldStep, newStep] = [oldNode.multipleOf as number | undefined, newNode.multipleOf as number | undefined];
    if (newStep !== undefined && (oldStep === undefined || oldStep % newStep !== 0)) {
      this.breaking(field, `${subject(field)} must now be a multiple of ${newStep}`);
    }
  }

  /** minItems/maxItems, minLength/maxLength: the range may widen, never narrow. */
  private count(oldNode: JsonSchema, newNode: JsonSchema, field: string, min: string, max: string, unit: string): void {
    const [oldMin, newMin] = [Number(oldNode[min] ?? 0), Number(newNode[min] ?? 0)];
    if (newMin > oldMin) this.breaking(field, `${subject(field)} needs at least ${newMin} ${unit} now (was ${oldMin})`);
    const [oldMax, newMax] = [Number(oldNode[max] ?? Infinity), Number(newNode[max] ?? Infinity)];
    if (newMax < oldMax) this.breaking(field, `${subject(field)} allows at most ${newMax} ${unit} now (was ${oldMax === Infinity ? 'no limit' : oldMax})`);
  }
}

const isSchema = (value: unknown): value is JsonSchema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Follows a local `$ref` (`#/$defs/Name`); keywords beside it apply too (2020-12). */
function resolve(node: unknown, root: JsonSchema, seen = new Set<string>()): JsonSchema {
  if (node === true || node === undefined) return {};
  if (node === false) return { not: {} };
  if (!isSchema(node)) throw new Error(`not a JSON Schema: ${JSON.stringify(node)}`);
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  if (!ref.startsWith('#/') || seen.has(ref)) throw new Error(`cannot follow $ref ${ref} (only local, non-recursive references)`);
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) target = (target as JsonSchema | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  const { $ref: _, ...rest } = node;
  return { ...resolve(target, root, new Set([...seen, ref])), ...rest };
}

/** The alternatives a node accepts: anyOf/oneOf branches, and one per listed type. */
function branches(node: JsonSchema, root: JsonSchema): JsonSchema[] {
  const union = (node.anyOf ?? node.oneOf) as unknown[] | undefined;
  if (union) {
    const { anyOf: _a, oneOf: _o, ...rest } = node;
    return union.flatMap((branch) => branches({ ...rest, ...resolve(branch, root) }, root));
  }
  if (Array.isArray(node.type)) {
    return (node.type as Kind[]).map((type) => {
      const narrowed: JsonSchema = { ...node, type };
      const values = allowedValues(node);
      if (values) {
        delete narrowed.const;
        narrowed.enum = values.filter((v) => accepts(type, jsonKind(v)));
      }
      return narrowed;
    });
  }
  return [node];
}

function kindOf(node: JsonSchema): Kind {
  if (typeof node.type === 'string') return node.type as Kind;
  const values = allowedValues(node);
  if (values && values.length > 0) {
    const kinds = new Set(values.map(jsonKind));
    if (kinds.size === 1) return [...kinds][0]!;
  }
  if (node.properties !== undefined || node.additionalProperties !== undefined) return 'object';
  if (node.items !== undefined) return 'array';
  return 'any';
}

function jsonKind(value: unknown): Kind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as Kind;
}

/** Whether a branch of kind `wide` accepts every value of kind `narrow`. */
function accepts(wide: Kind, narrow: Kind): boolean {
  return wide === narrow || wide === 'any' || (wide === 'number' && narrow === 'integer');
}

function hasConstraints(node: JsonSchema): boolean {
  return Object.keys(node).some((k) => !annotations.has(k) && !k.startsWith('x-'));
}

function allowedValues(node: JsonSchema): unknown[] | undefined {
  if ('const' in node) return [node.const];
  return Array.isArray(node.enum) ? node.enum : undefined;
}

function hasDefault(node: unknown, root: JsonSchema): boolean {
  return 'default' in resolve(node, root);
}

function describeKinds(nodes: JsonSchema[]): string {
  return [...new Set(nodes.map((n) => {
    const values = allowedValues(n);
    return values && values.length <= 4 ? list(values).replace(/, /g, ' | ') : kindOf(n);
  }))].join(' | ');
}

function lowerBound(node: JsonSchema): Bound | undefined {
  return tighter(
    typeof node.minimum === 'number' ? { value: node.minimum, exclusive: false } : undefined,
    typeof node.exclusiveMinimum === 'number' ? { value: node.exclusiveMinimum, exclusive: true } : undefined,
    1,
  );
}

function upperBound(node: JsonSchema): Bound | undefined {
  return tighter(
    typeof node.maximum === 'number' ? { value: node.maximum, exclusive: false } : undefined,
    typeof node.exclusiveMaximum === 'number' ? { value: node.exclusiveMaximum, exclusive: true } : undefined,
    -1,
  );
}

/** Of an inclusive and an exclusive bound, the one that admits less (`direction` 1 = lower bound). */
function tighter(inclusive: Bound | undefined, exclusive: Bound | undefined, direction: 1 | -1): Bound | undefined {
  if (!inclusive || !exclusive) return inclusive ?? exclusive;
  return direction * exclusive.value >= direction * inclusive.value ? exclusive : inclusive;
}

function showBound(bound: Bound | undefined, strict: '>' | '<'): string {
  if (!bound) return 'none';
  const sign = bound.exclusive ? strict : strict === '>' ? '≥' : '≤';
  return `${sign} ${bound.value}`;
}
