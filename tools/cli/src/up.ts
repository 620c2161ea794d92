import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { startAzurite, type RunningAzurite } from '@eventloom/core/testing/azurite';
import { startChild, startNodeChild, type Child } from './children.ts';
import { portIsFree, portOrFree } from './ports.ts';
import { defaultRedisUrl, redisAnswers } from './redis.ts';
import { Supervisor } from './supervisor.ts';
import { waitForUrl } from './wait-for-url.ts';

/**
 * `./eventloom up`: Azurite (persistent, under EVENTLOOM_HOME/azurite), the
 * gateway, a worker when Redis is there, and the portal; output prefixed by
 * name; Ctrl-C stops them all. Something missing is reported, the rest runs.
 */
const root = resolve(import.meta.dirname, '../../..');

const program = new Command('eventloom up')
  .description('run Eventloom locally: Azurite, gateway, worker and portal')
  .addOption(new Option('--gateway-port <port>', 'gateway port (another free one if taken; 0 for any)').env('EVENTLOOM_GATEWAY_PORT').default('8787'))
  .addOption(new Option('--portal-port <port>', 'portal port (another free one if taken; 0 for any)').env('EVENTLOOM_PORTAL_PORT').default('5173'))
  .addOption(new Option('--blob-port <port>', 'Azurite blob port, 0 for any free one').env('EVENTLOOM_BLOB_PORT').default('10000'))
  .addOption(new Option('--table-port <port>', 'Azurite table port, 0 for any free one').env('EVENTLOOM_TABLE_PORT').default('10002'))
  .option('--no-portal', 'do not build and start the portal')
  .option('--no-build', 'start the last portal build without rebuilding')
  .parse();
const options = program.opts<{
  gatewayPort: string;
  portalPort: string;
  blobPort: string;
  tablePort: string;
  portal: boolean;
  build: boolean;
}>();

const home = resolve(process.env.EVENTLOOM_HOME ?? join(root, '.eventloom'));
const exitAfterReady = process.env.EVENTLOOM_UP_EXIT_AFTER_READY === '1';

function say(message: string): void {
  process.stdout.write(`eventloom: ${message}\n`);
}

let azurite: RunningAzurite | undefined;
const children: Child[] = [];
const supervisors: Supervisor[] = [];
const problems: string[] = [];
let shuttingDown: Promise<void> | undefined;

async function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    say('stopping...');
    await Promise.all([...children.map((c) => c.stop()), ...supervisors.map((s) => s.stop())]);
    await azurite?.stop();
    say('stopped');
  })();
  return shuttingDown;
}

let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++signals > 1) {
      // A second Ctrl-C: do not wait any longer.
      for (const c of [...children, ...supervisors.flatMap((s) => s.child ?? [])]) c.process.kill('SIGKILL');
      process.exit(130);
    }
    void shutdown().then(() => process.exit(0));
  });
}

async function storage(): Promise<string> {
  if (process.env.AZURE_STORAGE_CONNECTION_STRING) {
    say('using AZURE_STORAGE_CONNECTION_STRING from the environment (no Azurite started)');
    return process.env.AZURE_STORAGE_CONNECTION_STRING;
  }
  const [blob, table] = [Number(options.blobPort), Number(options.tablePort)];
  const usual = blob > 0 && table > 0 && (await portIsFree(blob)) && (await portIsFree(table));
  if (!usual && blob > 0) say(`ports ${blob}/${table} are taken; Azurite gets free ports (its connection string is passed on)`);
  azurite = await startAzurite({
    location: join(home, 'azurite'),
    blobPort: usual ? blob : 0,
    tablePort: usual ? table : 0,
  });
  say(`Azurite: blob :${azurite.blobPort}, table :${azurite.tablePort}, data in ${join(home, 'azurite')}`);
  return azurite.connectionString;
}

/** Starts an app if its entry exists and waits for its health URL; false when it is not up. */
async function startApp(name: string, entry: string, env: NodeJS.ProcessEnv, healthUrl?: string): Promise<boolean> {
  if (!existsSync(join(root, entry))) {
    problems.push(`${name}: ${entry} does not exist (not started)`);
    say(`${name} not started: ${entry} does not exist yet`);
    return false;
  }
  // Supervised: an unexpected exit is restarted with a backoff; a crash loop is left down, said once.
  const supervisor = new Supervisor({
    name,
    start: () => startNodeChild({ name, args: [entry], env, cwd: root }),
    say,
    onGiveUp: (reason) => problems.push(reason),
  });
  supervisors.push(supervisor);
  supervisor.start();
  if (!healthUrl) return true;
  let gaveUp = false;
  void supervisor.done.then(() => (gaveUp = true));
  const ready = await waitForUrl(healthUrl, { timeoutMs: 90_000, giveUp: () => gaveUp });
  if (!ready && !gaveUp) {
    problems.push(`${name}: ${healthUrl} did not answer within 90 s`);
    say(`${name} does not answer at ${healthUrl}`);
  }
  return ready;
}

async function buildPortal(): Promise<boolean> {
  const build = startChild({ name: 'build', command: 'pnpm', args: ['--filter', '@eventloom/portal', 'build'], cwd: root });
  children.push(build);
  const { code } = await build.exited;
  children.splice(children.indexOf(build), 1);
  if (code !== 0) {
    problems.push(`portal: build failed (exit ${code})`);
    say('portal build failed (see the build lines above); the portal is not started');
  }
  return code === 0;
}

function accountsBanner(): string[] {
  const file = join(home, 'accounts.json');
  if (!existsSync(file)) return [`  (no ${file} yet: the gateway creates it on its first run)`];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as
      | { accounts?: Array<Record<string, unknown>> }
      | Array<Record<string, unknown>>;
    const accounts = Array.isArray(parsed) ? parsed : (parsed.accounts ?? []);
    return accounts.map((a) => {
      const detail = [a['role'], a['bank']].filter(Boolean).join(', ');
      return `  ${String(a['username']).padEnd(22)} ${String(a['password']).padEnd(22)} ${detail}`;
    });
  } catch (err) {
    return [`  (could not read ${file}: ${(err as Error).message})`];
  }
}

async function main(): Promise<void> {
  const connectionString = await storage();
  const redisUrl = process.env.REDIS_URL || defaultRedisUrl;
  const redis = await redisAnswers(redisUrl, 1_000);
  if (!redis) {
    say(`WARNING: no Redis answers at ${redisUrl}; running single-process (in-process bus, workers inside the gateway). Start Redis or set REDIS_URL for the full setup.`);
  }
  const gatewayPort = await portOrFree(options.gatewayPort);
  const portalPort = await portOrFree(options.portalPort);
  if (String(gatewayPort) !== options.gatewayPort && Number(options.gatewayPort) !== 0) say(`port ${options.gatewayPort} is taken; the gateway gets ${gatewayPort}`);
  if (String(portalPort) !== options.portalPort && Number(options.portalPort) !== 0) say(`port ${options.portalPort} is taken; the portal gets ${portalPort}`);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const portalUrl = `http://127.0.0.1:${portalPort}`;

  const { PORT: _ignored, ...inherited } = process.env;
  const shared: NodeJS.ProcessEnv = {
    ...inherited,
    AZURE_STORAGE_CONNECTION_STRING: connectionString,
    REDIS_URL: redisUrl,
    EVENTLOOM_MODE: redis ? 'redis' : 'single-process',
    EVENTLOOM_HOME: home,
    // Local development: webhook receivers usually run on this machine. A deployed
    // gateway keeps the default (public addresses only).
    EVENTLOOM_WEBHOOK_TARGETS: process.env.EVENTLOOM_WEBHOOK_TARGETS ?? 'any',
    // A week of demo orders with the catalog, once per store: the dashboard is alive at first sign-in.
    ORDERS_DEMO_ORDERS: process.env.ORDERS_DEMO_ORDERS ?? '1000',
  };

  // The portal build is slow; it runs while the gateway starts.
  const portalBuilt = options.portal && options.build ? buildPortal() : Promise.resolve(options.portal);
  const gatewayUp = startApp(
    'gateway',
    'apps/gateway/src/main.ts',
    { ...shared, PORT: String(gatewayPort), EVENTLOOM_WORKERS: redis ? 'separate' : 'in-process' },
    `${gatewayUrl}/health`,
  );
  if (redis) await startApp('worker', 'apps/gateway/src/worker.ts', shared);

  const [gatewayReady, built] = await Promise.all([gatewayUp, portalBuilt]);
  let portalReady = false;
  if (built && !shuttingDown) {
    portalReady = await startApp(
      'portal',
      'apps/portal/build/index.js',
      { ...shared, PORT: String(portalPort), HOST: '127.0.0.1', ORIGIN: portalUrl, GATEWAY_URL: gatewayUrl },
      `${portalUrl}/`,
    );
  }
  if (shuttingDown) return;

  const lines = [
    '',
    '──────────────────────────────────────────────────────────────',
    ` Eventloom is ${problems.length ? 'partly ' : ''}up${redis ? '' : ' (single-process: no Redis)'}`,
    `  portal   ${portalReady ? portalUrl : '(not running)'}`,
    `  gateway  ${gatewayReady ? gatewayUrl : '(not running)'}${gatewayReady ? `   API docs: ${gatewayUrl}/docs` : ''}`,
    // The CLI and the tools look for the gateway on 8787 unless told otherwise.
    ...(gatewayReady && gatewayPort !== 8787 ? [`           not on 8787: GATEWAY_URL=${gatewayUrl} for ./eventloom rebuild and the order generator`] : []),
    `  storage  ${azurite ? `Azurite blob :${azurite.blobPort}, table :${azurite.tablePort}` : 'AZURE_STORAGE_CONNECTION_STRING'}`,
    `  redis    ${redis ? redisUrl : '(none)'}`,
    ' Sign in with (username, password, role):',
    ...accountsBanner(),
    ...(problems.length ? [' Not running:', ...problems.map((p) => `  ${p}`)] : []),
    ' Ctrl-C stops everything.',
    '──────────────────────────────────────────────────────────────',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  if (exitAfterReady) {
    await shutdown();
    process.exit(problems.some((p) => !p.includes('does not exist')) ? 1 : 0);
  }
}

main().catch(async (err: unknown) => {
  say(`could not start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown();
  process.exit(1);
});
