import { Command, InvalidArgumentError } from 'commander';
import { isLoopback } from './stack.ts';
import { summary, writeJson } from './report.ts';
import { runLoad } from './run.ts';

/**
 * pnpm load                                  200 clients for 60 s against a stack of its own
 * pnpm load --clients 20 --duration 10s      a short run
 * pnpm load --gateway http://127.0.0.1:8787  against `./eventloom up` (accounts from EVENTLOOM_HOME)
 */
const clientCount = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 2_000) throw new InvalidArgumentError('must be a whole number from 1 to 2000');
  return n;
};

/** `60s`, `2m`, `90` (seconds) → ms; at most 10 minutes, so a run is always bounded. */
const duration = (value: string) => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a duration such as 60s, 2m or 500ms');
  const ms = Number(match[1]) * ({ ms: 1, s: 1_000, m: 60_000 } as const)[(match[2] ?? 's') as 'ms' | 's' | 'm'];
  if (ms < 1_000 || ms > 600_000) throw new InvalidArgumentError('must be between 1s and 10m');
  return ms;
};

const loopbackUrl = (value: string) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://127.0.0.1:8787');
  }
  if (!isLoopback(url.hostname)) throw new InvalidArgumentError(`must be on loopback (127.0.0.1, ::1, localhost), not ${url.hostname}: this tool floods what it targets`);
  return value;
};

const program = new Command('load')
  .description('Drives many clients reading, writing and misbehaving through the gateway, probes /health, then checks that it stayed up, answered well and lost nothing.')
  .option('--clients <n>', 'concurrent virtual clients', clientCount, 200)
  .option('--duration <time>', 'how long the load runs (e.g. 60s, 2m)', duration, 60_000)
  .option('--gateway <url>', 'a running gateway on loopback (default: start Azurite, a gateway and a worker of its own)', loopbackUrl)
  .option('--health <url>', "that gateway's health port (EVENTLOOM_HEALTH_PORT), where the verdict's probe asks (default: its API port)", loopbackUrl)
  .option('--home <dir>', "that gateway's EVENTLOOM_HOME, for its local accounts (default: $EVENTLOOM_HOME or <repo>/.eventloom)")
  .option('--no-hostile', 'leave the hostile requests out (a baseline to compare with)')
  .option('--stack-log <level>', 'LOG_LEVEL of the gateway and worker it starts (info logs every request)', 'warn')
  .option('--json <file>', 'also write the figures and verdicts to this file')
  .showHelpAfterError();

// pnpm 12 hands the program a literal `--` before the user's arguments.
program.parse(process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')), { from: 'user' });
const options = program.opts<{ clients: number; duration: number; gateway?: string; health?: string; home?: string; hostile: boolean; stackLog: string; json?: string }>();

try {
  const { figures, verdicts } = await runLoad({
    clients: options.clients,
    durationMs: options.duration,
    hostile: options.hostile,
    stackLogLevel: options.stackLog,
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.home ? { home: options.home } : {}),
    ...(options.health ? { health: options.health } : {}),
    say: (line) => process.stdout.write(`load: ${line}\n`),
  });
  process.stdout.write(`\n${summary(figures, verdicts)}\n`);
  if (options.json) writeJson(options.json, figures, verdicts);
  process.exit(verdicts.every((v) => v.pass) ? 0 : 1);
} catch (error) {
  process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
