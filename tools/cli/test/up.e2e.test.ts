import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
