import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Health } from '@eventloom/core';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthProbe } from '../src/health.ts';
import { startHealthPort, type HealthPort } from '../src/health-port.ts';

const healthy: Health = { ok: true, storage: { ok: true, latencyMs: 1 }, redis: { ok: true, mode: 'redis' } };
let port: HealthPort | undefined;
afterEach(async () => {
  await port?.close();
  port = undefined;
});

/** A runtime stand-in whose health the test sets. */
const runtime = (health: () => Health) => ({ mode: 'redis' as const, health: async () => health() });

/** Blocks this thread's event loop, as a flood of work would. */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

describe('the health port: /health on a thread of its own', () => {
  it('answers what the probe found, 503 with Retry-After when a dependency is down', async () => {
    let health = healthy;
    port = await startHealthPort(new HealthProbe(runtime(() => health), { freshMs: 0 }), { port: 0, host: '127.0.0.1', probeEveryMs: 50 });
    const ok = await fetch(`http://127.0.0.1:${port.port}/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, storage: { ok: true }, eventLoop: { ok: true } });
    health = { ...healthy, ok: false, storage: { ok: false, error: 'Table service did not answer within 2000 ms' } };
    await new Promise((resolve) => setTimeout(resolve, 300));
    const down = await fetch(`http://127.0.0.1:${port.port}/health`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(await down.json()).toMatchObject({ ok: false, storage: { error: /did not answer/ } });
    expect((await fetch(`http://127.0.0.1:${port.port}/health/live`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port.port}/elsewhere`)).status).toBe(404);
  });

  it('answers while the main event loop is stuck, and says it is stuck', async () => {
    port = await startHealthPort(new HealthProbe(runtime(() => healthy)), { port: 0, host: '127.0.0.1', blockedMs: 1_000 });
    // A client in another process asks 1.5 s into a 3 s block and notes when it was answered.
    const url = `http://127.0.0.1:${port.port}/health/live`;
    const client = spawn('sh', ['-c', `sleep 1.5; curl -s -w ' %{http_code}' ${url}; echo; date +%s%3N`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => client.once('exit', resolve));
    busy(3_000);
    const blockEnded = Date.now();
    await exited;
    const [answer, answeredAt] = output.trim().split('\n');
    expect(answer).toMatch(/"ok":false.*"sinceBeatMs":\d+.* 503$/);
    // Answered by the health thread before this thread could have answered anything.
    expect(Number(answeredAt)).toBeLessThan(blockEnded);
  });

  it('closes a connection whose request never arrives whole, so idle sockets cannot pile up', async () => {
    port = await startHealthPort(new HealthProbe(runtime(() => healthy)), { port: 0, host: '127.0.0.1', requestTimeoutMs: 300 });
    const socket = connect(port.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
