import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/ports.ts';
import { childEnv, stopGroup } from './shell.ts';

/**
 * One local stack for the READMEs' commands that talk to a running system:
 * `./eventloom up --no-portal` on free ports with its own EVENTLOOM_HOME and
 * Azurite, as a newcomer's machine would run it, plus what those commands take
 * from it (the admin's password, a token, an alert).
 */
export interface Stack {
  url: string;
  home: string;
  password: string;
  token: string;
  /** An alert the demo data raised (U1001 moving money from Republic to Scotia). */
  alertId: string;
  /** The README's text with this stack's gateway address and admin password in it. */
  substitute: (script: string) => string;
  /** What the READMEs say to set: where the gateway is, and $TOKEN / $ID where a script uses them without setting them. */
  env: (script: string) => Record<string, string>;
  stop: () => Promise<void>;
}

export async function startStack(root: string, scratch: string): Promise<Stack> {
  const port = await freePort();
  const home = join(scratch, 'stack-home');
  // Without the test run's storage: `up` then starts its own Azurite, as on a newcomer's machine.
  const { AZURE_STORAGE_CONNECTION_STRING: _fromGlobalSetup, ...env } = childEnv();
  const child = spawn(join(root, 'eventloom'), ['up', '--no-portal'], {
    cwd: root,
    env: { ...env, EVENTLOOM_HOME: home, EVENTLOOM_GATEWAY_PORT: String(port), EVENTLOOM_BLOB_PORT: '0', EVENTLOOM_TABLE_PORT: '0', ORDERS_DEMO_ORDERS: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  const stop = async () => {
    child.kill('SIGINT');
    await Promise.race([exited, sleep(20_000)]);
    await stopGroup(child.pid!);
  };

  try {
    const url = `http://127.0.0.1:${port}`;
    await until('./eventloom up to be up', () => output.includes('Eventloom is up'), () => output, 90_000);
    const { accounts } = JSON.parse(readFileSync(join(home, 'accounts.json'), 'utf8')) as { accounts: { username: string; password: string }[] };
    const password = accounts.find((a) => a.username === 'admin')!.password;
    const signIn = await fetch(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    const { token } = (await signIn.json()) as { token: string };
    let alertId = '';
    await until(
      'the demo data to raise an alert',
      async () => {
        const alerts = await fetch(`${url}/api/reporting/alerts`, { headers: { authorization: `Bearer ${token}` } });
        alertId = ((await alerts.json()) as { items?: { id: string }[] }).items?.[0]?.id ?? '';
        return alertId !== '';
      },
      () => output,
      30_000,
    );

    return {
      url,
      home,
      password,
      token,
      alertId,
      substitute: (script) =>
        script
          .replace(/\b(localhost|127\.0\.0\.1):8787\b/g, `$1:${port}`)
          .replaceAll('<from ./eventloom up>', password)
          .replaceAll('<from .eventloom/accounts.json>', password),
      env: (script) => ({
        GATEWAY_URL: url,
        EVENTLOOM_HOME: home,
        ...(uses(script, 'TOKEN') ? { TOKEN: token } : {}),
        ...(uses(script, 'ID') ? { ID: alertId } : {}),
      }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The script reads $NAME and does not set it itself. */
const uses = (script: string, name: string) => new RegExp(`\\$${name}\\b`).test(script) && !new RegExp(`(^|\\s)${name}=`).test(script);

async function until(what: string, check: () => boolean | Promise<boolean>, log: () => string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${log().slice(-4000)}`);
    await sleep(250);
  }
}
