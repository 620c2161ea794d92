import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startNodeChild, type Child } from '@eventloom/cli/src/children.ts';
import { freePort } from '@eventloom/cli/src/ports.ts';
import { defaultRedisUrl, redisAnswers } from '@eventloom/cli/src/redis.ts';
import { waitForUrl } from '@eventloom/cli/src/wait-for-url.ts';
import { startAzurite, type RunningAzurite } from '@eventloom/core/testing/azurite';

const root = resolve(import.meta.dirname, '../../..');

/** A local account as the gateway writes it to EVENTLOOM_HOME/accounts.json. */
export interface Account {
  username: string;
  password: string;
  role: string;
  bank?: string;
}

/** A process the run watches: its pid for CPU figures; `exit` once it is gone. */
export interface Watched {
  name: string;
  pid: number;
  exit(): string | undefined;
}

/** The gateway under load, and whatever this tool started for it. */
export interface Stack {
  gatewayUrl: string;
  /** Where supervisors ask for /health: the gateway's health port when it has one, else its API port. */
  healthUrl: string;
  /** `redis` or `single-process` for a stack of our own; `external` for --gateway. */
  mode: 'redis' | 'single-process' | 'external';
  accounts: Account[];
  /** The gateway, worker and Azurite this tool started (none for --gateway). */
  processes: Watched[];
  stop(): Promise<void>;
}

export interface OwnStackOptions {
  /** Demo orders the worker seeds (ORDERS_DEMO_ORDERS); few, so seeding is over before the load starts. */
  demoOrders?: number;
  /** Passed to the gateway and worker (default warn: a line per request would load the gateway). */
  logLevel?: string;
}

const say = (message: string) => process.stdout.write(`load: ${message}\n`);

/**
 * A stack of our own on loopback: an in-memory Azurite on free ports, one gateway and
 * one worker process with Redis at REDIS_URL when it answers (else the gateway alone,
 * single-process), a temporary EVENTLOOM_HOME and a key prefix of the run's own.
 */
export async function startOwnStack(options: OwnStackOptions = {}): Promise<Stack> {
  const home = mkdtempSync(join(tmpdir(), 'eventloom-load-'));
  const children: Child[] = [];
  let azurite: RunningAzurite | undefined;
  const stop = async () => {
    await Promise.all(children.map((child) => child.stop()));
    await azurite?.stop();
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const redisUrl = process.env.REDIS_URL || defaultRedisUrl;
    const redis = await redisAnswers(redisUrl, 1_000);
    if (!redis) say(`no Redis answers at ${redisUrl}: the gateway runs single-process (workers inside it)`);
    azurite = await startAzurite({ inMemory: true });
    const port = await freePort();
    const healthPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${port}`;
    // The test run's own Azurite and any PORT stay out of it.
    const { AZURE_STORAGE_CONNECTION_STRING: _shared, PORT: _port, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      REDIS_URL: redisUrl,
      EVENTLOOM_MODE: redis ? 'redis' : 'single-process',
      EVENTLOOM_HOME: home,
      // Redis keys and channels of its own, apart from tests and other stacks on the same Redis.
      EVENTLOOM_PREFIX: `load${randomBytes(3).toString('hex')}`,
      ORDERS_DEMO_ORDERS: String(options.demoOrders ?? 0),
      LOG_LEVEL: options.logLevel ?? 'warn',
    };
    const gateway = startNodeChild({
      name: 'gateway',
      args: [join(root, 'apps/gateway/src/main.ts')],
      env: { ...env, HOST: '127.0.0.1', PORT: String(port), EVENTLOOM_HEALTH_PORT: String(healthPort), EVENTLOOM_WORKERS: redis ? 'separate' : 'in-process' },
      cwd: root,
    });
    children.push(gateway);
    const worker = redis ? startNodeChild({ name: 'worker', args: [join(root, 'apps/gateway/src/worker.ts')], env, cwd: root }) : undefined;
    if (worker) children.push(worker);
    const up = await waitForUrl(`${gatewayUrl}/health`, { timeoutMs: 90_000, giveUp: () => children.some((child) => !child.isRunning()) });
    if (!up) throw new Error(`the gateway did not answer ${gatewayUrl}/health (${children.map((c) => `${c.name} ${c.isRunning() ? 'running' : 'exited'}`).join(', ')})`);
    return {
      gatewayUrl,
      healthUrl: `http://127.0.0.1:${healthPort}`,
      mode: redis ? 'redis' : 'single-process',
      accounts: readAccounts(home),
      processes: [
        ...children.map((child) => watched(child)),
        { name: 'azurite', pid: azurite.pid, exit: () => undefined },
      ],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The gateway at `url` (loopback only), with the local accounts in `home`. */
export function existingStack(url: string, home: string, health?: string): Stack {
  const { hostname } = new URL(url);
  if (!isLoopback(hostname)) throw new Error(`--gateway must be a loopback address (127.0.0.1, ::1 or localhost), not ${hostname}: this tool floods what it targets`);
  if (health && !isLoopback(new URL(health).hostname)) throw new Error('--health must be a loopback address');
  const gatewayUrl = url.replace(/\/+$/, '');
  return { gatewayUrl, healthUrl: (health ?? gatewayUrl).replace(/\/+$/, ''), mode: 'external', accounts: readAccounts(home), processes: [], stop: async () => {} };
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function readAccounts(home: string): Account[] {
  const file = join(home, 'accounts.json');
  if (!existsSync(file)) throw new Error(`${file} does not exist: point --home (or EVENTLOOM_HOME) at the gateway's home, where it wrote its local accounts`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { accounts: Account[] }).accounts;
}

function watched(child: Child): Watched {
  let exit: string | undefined;
  void child.exited.then(({ code, signal }) => (exit = signal ? `killed by ${signal}` : `exited with code ${code}`));
  return { name: child.name, pid: child.process.pid ?? 0, exit: () => exit };
}
