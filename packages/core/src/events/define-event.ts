import type { z } from 'zod';
import type { NewEvent } from './envelope.ts';

/** Turns data stored at `version` into the shape of `version + 1`. */
export type Upcaster = (data: unknown) => unknown;

export interface EventDefinition<TType extends string = string, TData = unknown> {
  type: TType;
  /** The current schema version; new events are written at it. */
  version: number;
  schema: z.ZodType<TData>;
  /** `upcasters[n]` lifts data from version n to n + 1. Stored events are never rewritten. */
  upcasters: Readonly<Record<number, Upcaster>>;
  /** Makes a new event of this type (validated against the current schema). */
  (data: TData): NewEvent<TData> & { type: TType };
  /** Reads stored data of any known version as the current shape. */
  read(schemaVersion: number, data: unknown): TData;
}

export interface DefineEventOptions<TData> {
  schema: z.ZodType<TData>;
  version?: number;
  upcasters?: Record<number, Upcaster>;
  description?: string;
}

export function defineEvent<const TType extends string, TData>(
  type: TType,
  options: DefineEventOptions<TData>,
): EventDefinition<TType, TData> {
  const version = options.version ?? 1;
  const upcasters = Object.freeze({ ...(options.upcasters ?? {}) });
  for (let v = 1; v < version; v++) {
    if (!upcasters[v]) throw new Error(`event ${type}: version ${version} needs an upcaster from version ${v}`);
  }
  const create = (data: TData) => ({ type, data: options.schema.parse(data), schemaVersion: version });
  const read = (schemaVersion: number, data: unknown): TData => {
    if (schemaVersion > version) {
      throw new Error(`event ${type}: stored version ${schemaVersion} is newer than this code knows (${version})`);
    }
    let lifted = data;
    for (let v = schemaVersion; v < version; v++) lifted = upcasters[v]!(lifted);
    return options.schema.parse(lifted);
  };
  return Object.assign(create, { type, version, schema: options.schema, upcasters, read }) as EventDefinition<TType, TData>;
}
