/**
 * `./eventloom rebuild` against a gateway listening on a free port, over the real
 * runtime (banking, seeded) on the run's Azurite and Redis.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import banking from '@eventloom/banking-context';
import { createRuntime, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import { createGateway, loadAuth } from '@eventloom/gateway';
import { serve, type ServerType } from '@hono/node-server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/ports.ts';

const cli = resolve(import.meta.dirname, '../src/rebuild.ts');

describe('./eventloom rebuild', () => {
  let runtime: Runtime;
  let server: ServerType;
  let gateway: string;
  let home: string;

  function rebuild(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, [cli, ...args], {
        env: { ...process.env, EVENTLOOM_HOME: home, GATEWAY_URL: gateway },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    home = await mkdtemp(join(tmpdir(), 'eventloom-rebuild-cli-'));
    const auth = await loadAuth(home);
    runtime = await createRuntime({ contexts: [banking], config: testConfig({ name: 'cli', LOG_LEVEL: 'silent' }), logger });
    await runtime.seed();
    const port = await freePort();
    gateway = `http://127.0.0.1:${port}`;
    await new Promise<void>((listening) => {
      server = serve({ fetch: createGateway({ runtime, contexts: [banking], auth, logger }).fetch, port, hostname: '127.0.0.1' }, () => listening());
    });
  });

  afterAll(async () => {
    (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
    await new Promise((closed) => server?.close(closed));
    await runtime?.close();
  });

  it('signs in as the local admin, rebuilds balances with a progress bar and reports completion', async () => {
    const { code, stdout, stderr } = await rebuild('balances');
    expect(stderr).toBe('');
    expect(stdout).toContain('rebuilding banking/balances');
    expect(stdout).toMatch(/banking\/balances .*100% \| (\d+)\/\1 events/);
    expect(stdout).toMatch(/banking\/balances rebuilt: [1-9]\d* events in \d+ s, generation 1 is live/);
    expect(code).toBe(0);
    const record = await runtime.context('banking').rebuilds.status('balances');
    expect(record?.state).toBe('done');
  }, 60_000);

  it('rebuilds every projection of a context with --context', async () => {
    const { code, stdout } = await rebuild('--context', 'banking', '--gateway', gateway);
    expect(stdout).toContain('banking/balances rebuilt');
    expect(stdout).toContain('banking/ledger rebuilt');
    expect(stdout).toContain('banking/transfers rebuilt');
    expect(code).toBe(0);
  }, 60_000);

  it('names the known projections when the one asked for does not exist', async () => {
    const { code, stderr } = await rebuild('balance');
    expect(stderr.trim()).toBe('eventloom rebuild: There is no projection balance; the projections are banking/balances, banking/ledger, banking/transfers.');
    expect(code).not.toBe(0);
  }, 60_000);

  it('says so when nothing is running to cancel, and refuses a wrong password readably', async () => {
    const cancel = await rebuild('balances', '--cancel');
    expect(cancel.stdout).toContain('no rebuild of banking/balances is running');
    expect(cancel.code).toBe(1);
    const wrong = await rebuild('balances', '--user', 'admin', '--password', 'nope');
    expect(wrong.stderr).toMatch(/^eventloom rebuild: .+/);
    expect(wrong.code).toBe(1);
  }, 60_000);
});
