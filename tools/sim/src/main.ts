import { appendFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { allowedPartitionCounts } from '@eventloom/core';
import { Command, InvalidArgumentError } from 'commander';
import { environment } from './environment.ts';
import { report, summary } from './report.ts';
import { runSeed, type SeedResult } from './run.ts';

/**
 * pnpm sim --seed 7            one seed, its trace on failure
 * pnpm sim --seeds 1..200      a range of seeds
 * pnpm sim --soak 30m          fresh seeds until the time is up; failing seeds go to a file
 * pnpm sim --seed 7 --partitions 4   the seed's plan on a feed of 4 partitions
 */
const program = new Command()
  .name('sim')
  .description('Seeded fault simulation of the Eventloom core: real Azurite and Redis behind fault proxies, several processes, crashes, outages; then every invariant.')
  .option('--seed <n>', 'run one seed', integer)
  .option('--seeds <a..b>', 'run seeds a to b', range)
  .option('--soak <duration>', 'run fresh seeds for this long (e.g. 30m, 90s)', duration)
  .option('--parallel <n>', 'seeds at a time', integer, 4)
  .option('--failures <file>', 'where a soak writes failing seeds (JSON lines)', 'sim-failures.jsonl')
  .option('--active-ms <ms>', 'length of the fault phase of each seed (default: drawn, 8-16 s)', integer)
  .option('--partitions <n>', "the ledger's feed partitions, 1, 2, 4, 8 or 16 (default: drawn per seed)", partitionCount)
  .option('--no-transfers', "without the ledger's transfer process (as regression seeds run: recorded before it existed)")
  .showHelpAfterError();

// pnpm 12 hands the script a literal `--` before the user's arguments.
const argv = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
program.parse(argv, { from: 'user' });
const options = program.opts<{ seed?: number; seeds?: [number, number]; soak?: number; parallel: number; failures: string; activeMs?: number; partitions?: number; transfers: boolean }>();
if ([options.seed, options.seeds, options.soak].filter((o) => o !== undefined).length !== 1) {
  program.error('say what to run: --seed N, --seeds A..B or --soak DURATION');
}

// The event loop must never stall: a process that spins without yielding is a bug, in the
// core or here. Say so (and, with SIM_HEARTBEAT set, leave a heartbeat for a watchdog).
let beat = performance.now();
const loopWatch = setInterval(() => {
  const late = performance.now() - beat - 1000;
  if (late > 5000) console.error(`sim: the event loop was blocked for ${Math.round(late)} ms`);
  beat = performance.now();
  if (process.env.SIM_HEARTBEAT) writeFileSync(process.env.SIM_HEARTBEAT, String(Date.now()));
}, 1000);
loopWatch.unref();

const env = await environment();
const seedRun = async (seed: number): Promise<SeedResult> => {
  const store = await env.forSeed();
  try {
    // Progress on stderr: a seed takes a minute or more, and stdout holds only the results.
    return await runSeed(seed, store, {
      ...(options.activeMs ? { activeMs: options.activeMs } : {}),
      ...(options.partitions ? { partitions: options.partitions } : {}),
      transfers: options.transfers,
      onProgress: (line) => console.error(line),
    });
  } finally {
    await store.done();
  }
};
const results: SeedResult[] = [];
const started = performance.now();
try {
  if (options.soak !== undefined) {
    const until = performance.now() + options.soak;
    const file = resolve(options.failures);
    // Fresh seeds each soak: far from the fixed and regression seeds, different every time.
    let next = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
    await pool(options.parallel, () => (performance.now() < until ? next++ : undefined), async (seed) => {
      const result = await seedRun(seed);
      results.push(result);
      console.log(report(result));
      if (!result.ok) appendFileSync(file, `${JSON.stringify({ seed, failures: result.failures.slice(0, 10), at: new Date().toISOString() })}\n`);
    });
    console.log(`failing seeds, if any, are in ${file}`);
  } else {
    const [from, to] = options.seeds ?? [options.seed!, options.seed!];
    let next = from;
    await pool(options.parallel, () => (next <= to ? next++ : undefined), async (seed) => {
      const result = await seedRun(seed);
      results.push(result);
      console.log(report(result, from === to));
    });
  }
} finally {
  await env.stop();
}
console.log(summary(results, performance.now() - started));
process.exit(results.every((r) => r.ok) ? 0 : 1);

/** Runs `work` on what `next` hands out, `size` at a time, until it hands out nothing. */
async function pool(size: number, next: () => number | undefined, work: (seed: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let seed = next(); seed !== undefined; seed = next()) await work(seed);
    }),
  );
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

function partitionCount(value: string): number {
  const n = Number(value);
  if (!(allowedPartitionCounts as readonly number[]).includes(n)) throw new InvalidArgumentError(`must be one of ${allowedPartitionCounts.join(', ')}`);
  return n;
}

function range(value: string): [number, number] {
  const match = /^(\d+)\.\.(\d+)$/.exec(value);
  if (!match || Number(match[1]) > Number(match[2])) throw new InvalidArgumentError('must look like 1..200');
  return [Number(match[1]), Number(match[2])];
}

function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must look like 90s, 30m or 2h');
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
}
