#!/usr/bin/env node
/**
 * `pnpm create-context NAME`: a new context package that tests green and is mounted
 * by the gateway at /api/NAME. Needs nothing but Node, so it runs before an install.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RefusedName, scaffold } from './scaffold.ts';

const usage = `usage: pnpm create-context NAME [--no-install] [--root DIR]
  NAME          lower-case letters and digits, e.g. shipping → packages/shipping-context, /api/shipping
  --no-install  only write the files (then run pnpm install and pnpm schema-check --record yourself)
  --root DIR    repository root (default: this checkout)`;

const say = (line: string) => console.log(`create-context: ${line}`);

function main(): number {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        'no-install': { type: 'boolean', default: false },
        root: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`create-context: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(usage);
    return 0;
  }
  if (parsed.positionals.length > 1) {
    console.error(`create-context: one name at a time (got ${parsed.positionals.join(', ')})\n${usage}`);
    return 2;
  }
  const name = parsed.positionals[0] ?? '';
  const root = parsed.values.root ?? fileURLToPath(new URL('../../../', import.meta.url));
  try {
    scaffold({ root, name, install: !parsed.values['no-install'], say });
  } catch (error) {
    console.error(`create-context: ${(error as Error).message}`);
    return error instanceof RefusedName ? 2 : 1;
  }
  console.log(`
The ${name} context is ready: packages/${name}-context, mounted at /api/${name}.
  pnpm exec vitest run packages/${name}-context   its tests (given/when/then, API on Azurite)
  ./eventloom up                                  then http://127.0.0.1:8787/docs lists /api/${name}/items
  docs/add-a-context.md                           the next ten minutes: events, rules, views, contracts`);
  return 0;
}

process.exitCode = main();
