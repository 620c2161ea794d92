import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { startAzurite } from '@eventloom/core/testing/azurite';
import { passed, table, type Row, type ScenarioContext } from './report.ts';
import { appendScenario } from './scenarios/append.ts';
import { bankingScenario } from './scenarios/banking.ts';
import { ordersScenario } from './scenarios/orders.ts';
import { rebuildScenario } from './scenarios/rebuild.ts';
import { latencyScenario } from './scenarios/latency.ts';
import { longStreamScenario } from './scenarios/long-stream.ts';
import { relayScenario } from './scenarios/relay.ts';
import { throttledScenario } from './scenarios/throttled.ts';
import { workersScenario } from './scenarios/workers.ts';
import { processesScenario } from './scenarios/processes.ts';
import { historyScenario } from './scenarios/history.ts';
import { tracingScenario } from './scenarios/tracing.ts';
import { runId } from './util.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
const scenarios = { append: appendScenario, relay: relayScenario, latency: latencyScenario, long: longStreamScenario, banking: bankingScenario, orders: ordersScenario, rebuild: rebuildScenario, workers: workersScenario, throttled: throttledScenario, processes: processesScenario, history: historyScenario, tracing: tracingScenario } as const;

const program = new Command('bench')
  .description('Eventloom vs the raw @azure/data-tables SDK on the same Azurite, as ratios')
  .option('--quick', 'short run (about a minute)', false)
  .option('--out <file>', 'JSON results file', 'bench-results/bench.json')
  .option('--only <names>', `comma-separated subset of: ${Object.keys(scenarios).join(', ')}`)
  // `pnpm … bench -- --quick` passes the `--` through; drop it.
  .parse(process.argv.filter((arg, i) => !(i === 2 && arg === '--')));
const options = program.opts<{ quick: boolean; out: string; only?: string }>();
const outFile = resolve(options.out === 'bench-results/bench.json' ? repoRoot : (process.env.INIT_CWD ?? process.cwd()), options.out);
const selected = (options.only?.split(',') ?? Object.keys(scenarios)) as (keyof typeof scenarios)[];
for (const name of selected) if (!(name in scenarios)) program.error(`unknown scenario ${name}`);

const startedAt = new Date();
const run = runId(6);
const machine = {
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${os.platform()} ${os.release()}`,
  node: process.version,
  azurite: azuriteVersion(),
  date: startedAt.toISOString(),
  note: `Azurite, Redis, the bench and the runtime share these ${os.cpus().length} cores; figures are ratios because absolute numbers mostly measure Azurite on this machine.`,
};
console.log(`Eventloom bench (${options.quick ? 'quick' : 'full'}) run ${run} — node ${machine.node}, ${machine.cores} cores shared by Azurite + Redis + bench + runtime`);

const azurite = await startAzurite({ inMemory: true });
console.log(`Azurite (in-memory) pid ${azurite.pid}, table port ${azurite.tablePort}, blob port ${azurite.blobPort}`);
let tag = 0;
const ctx: ScenarioContext = {
  quick: options.quick,
  connectionString: azurite.connectionString,
  prefix: (t) => `b${run}${t}${tag++}`.slice(0, 16),
  log: (message) => console.log(`  ${message}`),
};

const rows: Row[] = [];
const loads: { scenario: string; loadAtStart: number }[] = [];
const failures: { scenario: string; error: string }[] = [];
try {
  for (const name of selected) {
    const began = performance.now();
    const load = os.loadavg()[0]!;
    loads.push({ scenario: name, loadAtStart: load });
    console.log(`\n[${name}] (load average ${load.toFixed(1)} on ${machine.cores} cores${load > machine.cores ? ' — the machine is busy with other work; figures are noisy' : ''})`);
    try {
      rows.push(...(await scenarios[name](ctx)));
    } catch (error) {
      console.error(`  scenario ${name} failed: ${(error as Error).stack}`);
      failures.push({ scenario: name, error: (error as Error).message });
    }
    console.log(`  (${Math.round((performance.now() - began) / 1000)} s)`);
  }
} finally {
  await azurite.stop();
}

console.log(`\n${table(rows)}\n`);
console.log(`Ratios: throughput rows = eventloom / raw (higher is better); latency rows = eventloom / raw p50 single insert (lower is better).`);
console.log(machine.note);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  JSON.stringify(
    {
      run,
      mode: options.quick ? 'quick' : 'full',
      machine: { ...machine, loadAverages: loads },
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      rows: rows.map((row) => ({ ...row, pass: passed(row) ?? null })),
      failures,
    },
    null,
    2,
  ),
);
console.log(`Results: ${outFile}`);
process.exit(failures.length > 0 ? 1 : 0);

function azuriteVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(resolve(repoRoot, 'node_modules/azurite/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}
