import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { JsonSchema } from './compare.ts';

/** A schema file under `schemas/{context}/{Type}.v{version}.json`. */
export interface RecordedSchema {
  context: string;
  type: string;
  version: number;
  schema: JsonSchema;
}

const fileName = /^([A-Za-z][A-Za-z0-9_]*)\.v([1-9][0-9]*)\.json$/;

/** Where an event version's schema is recorded, relative to the repository root. */
export function recordPath(context: string, type: string, version: number): string {
  return join('schemas', context, `${type}.v${version}.json`);
}

/** Every recorded schema; a file that does not follow the naming is an error, not skipped. */
export function readRecorded(root: string): RecordedSchema[] {
  const dir = join(root, 'schemas');
  if (!existsSync(dir)) return [];
  const recorded: RecordedSchema[] = [];
  for (const context of readdirSync(dir, { withFileTypes: true })) {
    if (!context.isDirectory()) continue;
    for (const file of readdirSync(join(dir, context.name)).sort()) {
      const match = fileName.exec(file);
      const path = join(dir, context.name, file);
      if (!match) throw new Error(`${relative(root, path)}: not a recorded schema name (expected {Type}.v{version}.json)`);
      let schema: JsonSchema;
      try {
        schema = JSON.parse(readFileSync(path, 'utf8')) as JsonSchema;
      } catch (error) {
        throw new Error(`${relative(root, path)}: not valid JSON (${(error as Error).message})`);
      }
      recorded.push({ context: context.name, type: match[1]!, version: Number(match[2]), schema });
    }
  }
  return recorded;
}

/** Two-space JSON with a final newline, so diffs of recorded schemas read well. */
export function writeRecorded(root: string, record: RecordedSchema): string {
  const path = recordPath(record.context, record.type, record.version);
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), `${JSON.stringify(record.schema, null, 2)}\n`);
  return path;
}
