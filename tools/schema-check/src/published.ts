import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ContextDefinition } from '@eventloom/core';
import { z } from 'zod';
import type { JsonSchema } from './compare.ts';

/** The current JSON Schema of one published event, as it is recorded under `schemas/`. */
export interface PublishedSchema {
  context: string;
  type: string;
  version: number;
  /** The recorded file's content: the JSON Schema with a title and `x-eventloom`. */
  schema: JsonSchema;
}

/** `banking.Deposited v1`: how reports name an event version. */
export const eventLabel = (context: string, type: string, version: number) => `${context}.${type} v${version}`;

/** Every event a context publishes (`contracts.published`), at its current version. */
export function publishedSchemas(context: ContextDefinition): PublishedSchema[] {
  return (context.contracts?.published ?? []).map((contract) => {
    const { type, version } = contract.event;
    let generated: JsonSchema;
    try {
      generated = z.toJSONSchema(contract.event.schema as z.ZodType, { target: 'draft-2020-12' }) as JsonSchema;
    } catch (error) {
      throw new Error(`${eventLabel(context.name, type, version)}: its zod schema has no JSON Schema form (${(error as Error).message})`);
    }
    const { $schema, ...rest } = generated;
    return {
      context: context.name,
      type,
      version,
      schema: {
        $schema,
        title: eventLabel(context.name, type, version),
        ...(contract.description ? { description: contract.description } : {}),
        'x-eventloom': { context: context.name, type, version, style: contract.style },
        ...rest,
      },
    };
  });
}

/**
 * The contexts of a workspace: each `packages/*-context` package's default export
 * (its `defineContext(...)`), imported from the source its `exports["."]` names.
 */
export async function workspaceContexts(root: string): Promise<ContextDefinition[]> {
  const packages = join(root, 'packages');
  const contexts: ContextDefinition[] = [];
  for (const entry of readdirSync(packages, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const manifest = join(packages, entry.name, 'package.json');
    if (!entry.isDirectory() || !entry.name.endsWith('-context') || !existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; exports?: Record<string, string> };
    const main = pkg.exports?.['.'];
    if (!main) throw new Error(`${pkg.name}: package.json has no exports["."] for its context`);
    const module = (await import(pathToFileURL(join(packages, entry.name, main)).href)) as { default?: ContextDefinition };
    const context = module.default;
    if (!context || typeof context.name !== 'string' || !Array.isArray(context.events)) {
      throw new Error(`${pkg.name}: its default export is not a context (export default defineContext({...}))`);
    }
    contexts.push(context);
  }
  return contexts;
}
