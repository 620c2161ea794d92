import { fileURLToPath } from 'node:url';
import { startChild } from '@eventloom/core/testing';
import counter from '@eventloom/counter-context';
import { createLogger, createRuntime, type Runtime } from '@eventloom/core';
import { redisUrl } from '../env.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { percentile, sleep } from '../util.ts';

const child = fileURLToPath(new URL('../children/worker.ts', import.meta.url));
/** The shortest Blob lease Azure allows: what a standby relying on the lease alone waits out at least. */
const shortestLeaseMs = 15_000;
// Takeovers log a warning each; the figures say it.
const logger = createLogger('error', 'bench');

/**
 * W. Worker groups (issue 12): (1) after a worker process holding every lease is
 * SIGKILLed, how long until a standby holds them all — against the shortest lease
 * Azure allows, which a standby that only polls the lease waits out at least;
 * (2) when a second worker joins one that holds every lease, how long until it holds its
 * fair share. Leases in both are 60 s, so nothing is ever taken by expiry.
 */
export async function workersScenario(ctx: ScenarioContext): Promise<Row[]> {
  const samples = ctx.quick ? 3 : 8;
  const takeovers: number[] = [];
  for (let i = 0; i < samples; i++) takeovers.push(await takeover(ctx));
  ctx.log(`takeover after SIGKILL: ${takeovers.map((t) => Math.round(t)).join(', ')} ms`);
  const shares: number[] = [];
  for (let i = 0; i < (ctx.quick ? 1 : 3); i++) shares.push(await fairShare(ctx));
  ctx.log(`joining worker at its share after: ${shares.map((t) => Math.round(t)).join(', ')} ms`);
  const steady = await steadyState(ctx, ctx.quick ? 20_000 : 60_000);
  ctx.log(`steady state: ${steady.changes} ownership changes over ${steady.leases} leases in ${steady.seconds} s`);
  const p50 = percentile(takeovers, 50);
  const p99 = percentile(takeovers, 99);
  const raw = { value: shortestLeaseMs, unit: 'ms', label: 'shortest Azure lease' };
  return [
    { id: 'takeover-p50', scenario: `W1. lease takeover after SIGKILL p50 (${samples} kills)`, eventloom: { value: p50, unit: 'ms' }, raw, ratio: p50 / shortestLeaseMs, details: { takeovers } },
    { id: 'takeover-p99', scenario: `W1. lease takeover after SIGKILL p99 (${samples} kills)`, eventloom: { value: p99, unit: 'ms' }, raw, ratio: p99 / shortestLeaseMs, target: { op: '<=', value: 0.67 } },
    {
      id: 'steady-changes',
      scenario: `W3. ownership changes, 3 workers × 6 leases, steady ${steady.seconds} s`,
      eventloom: { value: steady.changes, unit: 'changes' },
      raw: { value: 1, unit: 'per lease-hour', label: 'allowed' },
      ratio: steady.changes / ((steady.leases * steady.seconds) / 3600),
      target: { op: '<=', value: 1 },
      details: steady,
    },
    { id: 'fair-share', scenario: 'W2. joining worker holds its fair share (6 leases, worst of runs)', eventloom: { value: Math.max(...shares), unit: 'ms' }, raw, ratio: Math.max(...shares) / shortestLeaseMs, target: { op: '<=', value: 2 }, details: { shares } },
  ];
}

const config = (connectionString: string, prefix: string) => ({ AZURE_STORAGE_CONNECTION_STRING: connectionString, REDIS_URL: redisUrl, EVENTLOOM_PREFIX: prefix, LOG_LEVEL: 'warn' as const });

/** Who holds each relay and projection, as `runtime` reports it. */
async function holders(runtime: Runtime): Promise<(string | undefined)[]> {
  const held: (string | undefined)[] = [];
  for (const context of await runtime.stats()) {
    held.push(context.relayWorker);
    for (const projection of context.projections) held.push(projection.state === 'standby' ? undefined : projection.worker);
  }
  return held;
}

/** Waits until one worker holds every lease `runtime` reports, and names it. */
async function soleHolder(runtime: Runtime, what: string, timeoutMs: number): Promise<string> {
  let sole: string | undefined;
  await until(what, async () => {
    const held = await holders(runtime);
    sole = held[0];
    return sole !== undefined && held.every((h) => h === sole);
  }, timeoutMs);
  return sole!;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Three workers share six leases; once shared, how often does a lease change hands? */
async function steadyState(ctx: ScenarioContext, durationMs: number): Promise<{ changes: number; leases: number; seconds: number }> {
  const cfg = config(ctx.connectionString, ctx.prefix('ws'));
  const contexts = ['counter', 'tallyb', 'tallyc'].map((name) => ({ ...counter, name }));
  const workers: Runtime[] = [];
  try {
    for (let i = 0; i < 3; i++) workers.push(await createRuntime({ contexts, config: cfg, logger, tuning: { leaseSeconds: 60 } }));
    let held: (string | undefined)[] = [];
    await until('each worker holding two leases', async () => {
      held = await holders(workers[0]!);
      const counts = new Map<string, number>();
      for (const h of held) if (h) counts.set(h, (counts.get(h) ?? 0) + 1);
      return counts.size === 3 && [...counts.values()].every((n) => n === 2);
    }, 90_000);
    let changes = 0;
    const until_ = performance.now() + durationMs;
    while (performance.now() < until_) {
      await sleep(500);
      const now = await holders(workers[0]!);
      changes += now.filter((h, i) => h !== held[i]).length;
      held = now;
    }
    return { changes, leases: held.length, seconds: Math.round(durationMs / 1000) };
  } finally {
    for (const worker of workers) await worker.close();
  }
}

async function takeover(ctx: ScenarioContext): Promise<number> {
  const cfg = config(ctx.connectionString, ctx.prefix('wk'));
  const worker = startChild(child, cfg, { BENCH_CONTEXTS: 'counter' });
  // Reads who holds what from the workers' beats, holding nothing itself.
  const observer = await createRuntime({ contexts: [counter], config: cfg, logger, workers: false });
  let standby: Runtime | undefined;
  try {
    await worker.waitFor((m) => m.ready === true);
    const childId = await soleHolder(observer, 'the child holding the relay and the projection', 30_000);
    standby = await createRuntime({ contexts: [counter], config: cfg, logger, tuning: { leaseSeconds: 60 } });
    await worker.kill();
    const killed = performance.now();
    await until('the standby holding every lease', async () => (await holders(standby!)).every((h) => h !== undefined && h !== childId), 70_000);
    return performance.now() - killed;
  } finally {
    await worker.kill();
    await standby?.close();
    await observer.close();
  }
}

async function fairShare(ctx: ScenarioContext): Promise<number> {
  const cfg = config(ctx.connectionString, ctx.prefix('wf'));
  const contexts = ['counter', 'tallyb', 'tallyc'].map((name) => ({ ...counter, name }));
  const first = await createRuntime({ contexts, config: cfg, logger, tuning: { leaseSeconds: 60 } });
  let second: Runtime | undefined;
  try {
    const firstId = await soleHolder(first, 'the first worker holding every lease', 60_000);
    const joined = performance.now();
    second = await createRuntime({ contexts, config: cfg, logger, tuning: { leaseSeconds: 60 } });
    await until('the second worker at its share', async () => {
      const held = await holders(first);
      return held.filter((h) => h !== undefined && h !== firstId).length >= Math.floor(held.length / 2) && held.every((h) => h !== undefined);
    }, 90_000);
    return performance.now() - joined;
  } finally {
    await second?.close();
    await first.close();
  }
}

