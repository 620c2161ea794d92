import { randomBytes, randomInt } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { eventloomHome } from '@eventloom/cli/src/admin/accounts.ts';
import { revokeKeys, signInCallers, type Callers } from './callers.ts';
import { watchBacklog } from './backlog.ts';
import { judge, type Verdict } from './checks.ts';
import { runClients } from './clients.ts';
import { CpuWatch } from './cpu.ts';
import type { Figures } from './figures.ts';
import { Gateway } from './gateway.ts';
import { gatewayLoopDelay } from './gateway-metrics.ts';
import { hostileEpisodes } from './hostile.ts';
import { HostileLog } from './hostile-log.ts';
import { Ledger, loadAccounts } from './ledger.ts';
import { requestMix } from './mix.ts';
import { probeRoute, startProbe, type HealthSample } from './probe.ts';
import { StreamBudget, type Session } from './session.ts';
import { settle, storeBalances, waitForQuiet, type Settlement } from './settle.ts';
import { existingStack, startOwnStack, type Stack } from './stack.ts';
import { latency, Tally } from './tally.ts';

export interface RunOptions {
  clients: number;
  durationMs: number;
  /** A running gateway on loopback; default: a stack of the run's own. */
  gateway?: string;
  /** Where that gateway keeps its local accounts (default EVENTLOOM_HOME or <repo>/.eventloom). */
  home?: string;
  /** That gateway's health port (EVENTLOOM_HEALTH_PORT), e.g. http://127.0.0.1:8788; default its API port. */
  health?: string;
  /** false: the ordinary mix only, a baseline to compare with. */
  hostile?: boolean;
  /** LOG_LEVEL of the gateway and worker it starts (default warn; info logs every request). */
  stackLogLevel?: string;
  say?: (line: string) => void;
}

export interface RunResult {
  figures: Figures;
  verdicts: Verdict[];
}

/** One run: the stack, the load with the health probe beside it, then the checks. */
export async function runLoad(options: RunOptions): Promise<RunResult> {
  const say = options.say ?? (() => {});
  say(options.gateway ? `using the gateway at ${options.gateway}` : 'starting Azurite, a gateway and a worker on loopback');
  const stack = options.gateway ? existingStack(options.gateway, options.home ?? eventloomHome(), options.health) : await startOwnStack(options.stackLogLevel ? { logLevel: options.stackLogLevel } : {});
  try {
    say(`gateway at ${stack.gatewayUrl}`);
    const run = randomBytes(4).toString('hex');
    const callers = await signInCallers(stack.gatewayUrl, stack.accounts, run);
    try {
      return await load(stack, callers, run, options, say);
    } finally {
      await revokeKeys(stack.gatewayUrl, callers);
    }
  } finally {
    say('stopping');
    await stack.stop();
  }
}

async function load(stack: Stack, callers: Callers, run: string, options: RunOptions, say: (line: string) => void): Promise<RunResult> {
  const url = stack.gatewayUrl;
  say('waiting for the banking feed to settle (demo seed), then reading the starting balances');
  if (!(await waitForQuiet(url, callers.admin, { timeoutMs: 60_000, seeded: stack.mode !== 'external' }))) {
    throw new Error('the banking feed did not settle within 60 s: is something else writing to this gateway? The balances could not be checked.');
  }
  const ledger = new Ledger(loadAccounts());
  const start = await storeBalances(url, callers.admin, ledger.accounts);
  for (const account of ledger.accounts) ledger.setStart(account, start.get(`${account.customer}/${account.bank}`) ?? 0);
  const heads = new Map([
    ['banking', await headCursor(url, callers.admin, 'banking')],
    ['orders', await headCursor(url, callers.admin, 'orders')],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined));

  const tally = new Tally();
  const gateway = new Gateway(url, tally, options.clients + 64);
  const hostile = new HostileLog();
  const session: Session = {
    gateway,
    callers,
    ledger,
    run,
    heads,
    streams: new StreamBudget(),
    hostile,
    until: performance.now() + options.durationMs,
    // Benchmarking space (198.18.0.0/15): no real client has it.
    floodAddress: `198.18.${randomInt(256)}.${randomInt(1, 255)}`,
  };
  const cpu = new CpuWatch(stack.processes);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  say(`${options.clients} clients for ${Math.round(options.durationMs / 1000)} s`);
  const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
  const began = performance.now();
  await gatewayLoopDelay(url);
  cpu.start();
  loop.enable();
  // The verdict's probe asks where a supervisor would (the health port); a slower one asks
  // the API port too, whose answers wait in the same accept queue as every client's.
  const probe = startProbe(stack.healthUrl);
  const apiProbe = stack.healthUrl === url ? undefined : startProbe(url, 1_000);
  const backlogWatch = watchBacklog(url);
  let samples: HealthSample[];
  let toolErrors;
  const hostileToo = options.hostile !== false;
  try {
    toolErrors = await runClients(session, options.clients, requestMix({ hostile: hostileToo }), hostileToo ? hostileEpisodes() : []);
  } finally {
    samples = await probe.stop();
  }
  const apiSamples = (await apiProbe?.stop()) ?? [];
  const durationMs = performance.now() - began;
  const backlog = backlogWatch.stop();
  loop.disable();
  const cpuUse = cpu.stop();
  const gatewayLoop = await gatewayLoopDelay(url);
  await gateway.close();
  for (const s of samples) gateway.observe({ category: 'health', route: probeRoute, path: '/health' }, { status: s.status, ms: s.ms, headers: s.retryAfter ? { 'retry-after': s.retryAfter } : {}, text: '', streamed: false, ...(s.error ? { error: s.error } : {}) });
  const gatewayExit = await exitOf(stack);

  say('load over: sending unanswered writes again, waiting for the projections, rebuilding balances');
  const settlement = await settle(url, callers, ledger).catch((error: unknown): Settlement => ({
    resent: 0,
    unresolved: ledger.pending().length,
    caughtUp: false,
    caughtUpMs: 0,
    mismatches: [],
    rebuild: { state: 'not started', ms: 0 },
    error: `the checks after the load could not run: ${(error as Error).message}`,
  }));

  const figures: Figures = {
    gateway: url,
    mode: stack.mode,
    clients: options.clients,
    durationMs: Math.round(durationMs),
    requests: {
      total: tally.total,
      perSecond: Math.round(tally.total / (durationMs / 1000)),
      hostileShare: tally.total ? tally.abusive / tally.total : 0,
      statuses: Object.fromEntries(tally.statuses),
    },
    latency: tally.latencies(),
    health: {
      ...latency(samples.map((s) => s.ms)),
      failures: samples.filter((s) => s.status !== 200).length,
      storagePing: latency(samples.flatMap((s) => (s.storageMs !== undefined ? [s.storageMs] : []))),
    },
    ...(apiProbe ? { apiHealth: { ...latency(apiSamples.map((s) => s.ms)), failures: apiSamples.filter((s) => s.status !== 200).length } } : {}),
    timeline: timeline(tally, samples),
    quotas: Object.fromEntries(tally.quotas),
    unavailable: tally.unavailable,
    networkErrors: tally.networkErrors(),
    serverErrors: tally.unexpectedServerErrors(),
    hostile: { kinds: Object.fromEntries(hostile.kinds), mismatchCount: hostile.mismatchCount, mismatches: hostile.mismatches },
    ...(gatewayExit ? { gatewayExit } : {}),
    writes: { ...ledger.writes },
    accounts: { checked: ledger.accounts.length, touched: ledger.touched().length },
    settlement,
    cpu: cpuUse,
    generatorLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
    ...(gatewayLoop ? { gatewayLoopDelay: gatewayLoop } : {}),
    ...(backlog ? { backlog } : {}),
    toolErrors,
    machine: { cores: availableParallelism(), loadBefore },
  };
  return { figures, verdicts: judge(figures) };
}

function timeline(tally: Tally, samples: HealthSample[]): Figures['timeline'] {
  const windows = Math.max(tally.perWindow.length, ...samples.map((s) => Math.floor(s.at / tally.windowMs) + 1));
  return Array.from({ length: windows }, (_, i) => {
    const inWindow = samples.filter((s) => Math.floor(s.at / tally.windowMs) === i);
    return {
      fromS: (i * tally.windowMs) / 1000,
      requests: tally.perWindow[i] ?? 0,
      health: { ...latency(inWindow.map((s) => s.ms)), failures: inWindow.filter((s) => s.status !== 200).length },
    };
  });
}

/** The cursor at the head of a context's published feed (long-polls wait there). */
async function headCursor(url: string, token: string, context: string): Promise<string | undefined> {
  let after = '';
  for (let page = 0; page < 50; page++) {
    const response = await fetch(`${url}/api/${context}/feed?limit=1000${after ? `&after=${after}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    after = response.headers.get('eventloom-cursor') ?? '';
    if (!response.ok || !after) return undefined;
    if (response.headers.get('eventloom-at-head') === 'true') return after;
  }
  return undefined;
}

/** How the gateway went away during the run, if it did. */
async function exitOf(stack: Stack): Promise<string | undefined> {
  const gateway = stack.processes.find((p) => p.name === 'gateway');
  if (gateway) return gateway.exit();
  const answered = await fetch(`${stack.gatewayUrl}/health`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.arrayBuffer().then(() => true), () => false);
  return answered ? undefined : 'stopped answering /health';
}
