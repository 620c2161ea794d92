#!/usr/bin/env node
/**
 * `pnpm schema-check [--record] [--context NAME] [--strict]`: compares every published
 * event's JSON Schema with the one recorded under `schemas/` and fails on a change that
 * breaks stored events or consumers. `--record` writes new versions and compatible
 * changes (never a breaking one). Exit code 0 = ok, 1 = breaking or unrecorded, 2 = usage.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { breakingHint, checkSchemas } from './check.ts';
import { publishedSchemas, workspaceContexts } from './published.ts';
import { readRecorded, writeRecorded } from './records.ts';

const usage = `usage: pnpm schema-check [options]
  --record, --update   write new and compatibly changed schemas to schemas/ (never a breaking one)
  --context NAME       only this context (repeatable)
  --strict             also fail on compatible changes that are not recorded yet
  --root DIR           repository root (default: the workspace around the current directory)`;

function workspaceRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no pnpm-workspace.yaml above ${from}; pass --root`);
  }
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        record: { type: 'boolean', default: false },
        update: { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        context: { type: 'string', multiple: true },
        root: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`schema-check: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (args.help) {
    console.log(usage);
    return 0;
  }
  const root = args.root ? resolve(args.root) : workspaceRoot(process.cwd());
  const contexts = await workspaceContexts(root);
  const only = args.context;
  const unknown = (only ?? []).filter((name) => !contexts.some((c) => c.name === name));
  if (unknown.length > 0) {
    console.error(`schema-check: no context named ${unknown.join(', ')} (have: ${contexts.map((c) => c.name).join(', ')})`);
    return 2;
  }
  const current = contexts.flatMap(publishedSchemas);
  const report = checkSchemas(current, readRecorded(root), only);
  const record = args.record || args.update;
  const scope = only ? only.join(', ') : contexts.map((c) => c.name).join(', ');
  console.log(`schema-check: ${current.filter((e) => !only || only.includes(e.context)).length} published events in ${scope}`);

  for (const line of report.breaking) console.log(`  ✗ ${line}`);
  if (report.breaking.length > 0) console.log(`    → ${breakingHint}`);

  if (record) {
    for (const schema of report.toRecord) console.log(`  + recorded ${writeRecorded(root, schema)}`);
    for (const line of report.compatible) console.log(`    (${line})`);
  } else {
    for (const line of report.unrecorded) console.log(`  ✗ ${line}`);
    for (const line of report.compatible) console.log(`  ~ compatible, not recorded yet: ${line}`);
    if (report.unrecorded.length > 0 || report.compatible.length > 0) console.log('    → run `pnpm schema-check --record` and commit schemas/');
  }

  const failures = report.breaking.length + (record ? 0 : report.unrecorded.length) + (args.strict && !record ? report.compatible.length : 0);
  console.log(
    failures === 0
      ? `schema-check: ok (${report.unchanged} unchanged${record ? `, ${report.toRecord.length} recorded` : ''})`
      : `schema-check: FAILED (${report.breaking.length} breaking, ${record ? 0 : report.unrecorded.length} not recorded${args.strict ? `, ${report.compatible.length} compatible not recorded` : ''})`,
  );
  return failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`schema-check: ${error.message}`);
    process.exitCode = 1;
  },
);
