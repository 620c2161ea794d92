import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort, portIsFree } from '../src/ports.ts';

const root = resolve(import.meta.dirname, '../../..');
const home = mkdtempSync(join(tmpdir(), 'eventloom-up-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function runUp(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(join(root, 'eventloom'), ['up'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => done({ code, output }));
  });
}

it('starts Azurite, the gateway and the portal, prints the sign-ins, and leaves nothing running', async () => {
  const gatewayPort = await freePort();
  const portalPort = await freePort();
  const { AZURE_STORAGE_CONNECTION_STRING: _fromGlobalSetup, ...env } = process.env;
  const { code, output } = await runUp({
    ...env,
    EVENTLOOM_HOME: home,
    EVENTLOOM_GATEWAY_PORT: String(gatewayPort),
    EVENTLOOM_PORTAL_PORT: String(portalPort),
    EVENTLOOM_BLOB_PORT: '0',
    EVENTLOOM_TABLE_PORT: '0',
    EVENTLOOM_UP_EXIT_AFTER_READY: '1',
  });

  expect(output, output).toContain('Eventloom is up');
  expect(output).toContain(`gateway  http://127.0.0.1:${gatewayPort}`);
  expect(output).toContain(`portal   http://127.0.0.1:${portalPort}`);
  expect(output).toMatch(/admin\s+\S+\s+admin/);
  expect(code, output).toBe(0);

  const [, blob, table] = /Azurite: blob :(\d+), table :(\d+)/.exec(output) ?? [];
  for (const port of [blob, table, gatewayPort, portalPort]) expect(await portIsFree(Number(port))).toBe(true);
}, 300_000);

/** Pids of every process under `pid`, its children's children included. */
function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const children = out.split('\n').filter(Boolean).map(Number);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

it('restarts a gateway that dies, says so, and stops everything on Ctrl-C', async () => {
  const gatewayPort = await freePort();
  const { AZURE_STORAGE_CONNECTION_STRING: _fromGlobalSetup, ...env } = process.env;
  const child = spawn(join(root, 'eventloom'), ['up', '--no-portal'], {
    cwd: root,
    env: { ...env, EVENTLOOM_HOME: home, EVENTLOOM_GATEWAY_PORT: String(gatewayPort), EVENTLOOM_BLOB_PORT: '0', EVENTLOOM_TABLE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const until = async (what: string, check: () => boolean | Promise<boolean>, ms = 120_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const healthy = () => fetch(`http://127.0.0.1:${gatewayPort}/health`).then((r) => r.ok, () => false);
  try {
    await until('up', () => output.includes('Eventloom is'));
    const gateway = descendants(child.pid!).find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('apps/gateway/src/main.ts');
      } catch {
        return false;
      }
    });
    expect(gateway, output).toBeDefined();
    process.kill(gateway!, 'SIGKILL');
    await until('the restart line', () => /gateway exited unexpectedly \(code null, signal SIGKILL\); restarting it/.test(output));
    await until('the gateway again', healthy);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited, output).toBe(0);
  expect(await portIsFree(gatewayPort)).toBe(true);
}, 300_000);
