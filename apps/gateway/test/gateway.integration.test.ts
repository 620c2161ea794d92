/**
 * The gateway over the real runtime: Azurite and Redis, two gateway instances
 * sharing one bus. Runs under the root vitest config (`./eventloom test` or
 * `pnpm vitest run --project @eventloom/gateway`), whose global setup starts Azurite.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import counter from '@eventloom/counter-context';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);

describe.skipIf(!haveAzurite)('gateway on Azurite and Redis', () => {
  const runtimes: Runtime[] = [];
  afterAll(async () => {
    await Promise.all(runtimes.map((runtime) => runtime.close()));
  });

  it('answers a command with read-your-writes and pushes the view change to a browser on another instance', async () => {
    const config = testConfig({ name: 'gw' });
    const logger = pino({ level: 'silent' });
    const home = await mkdtemp(join(tmpdir(), 'eventloom-gateway-it-'));
    const auth = await loadAuth(home);
    // Instance A runs the workers and takes the command; instance B only serves the browser.
    const a = await createRuntime({ contexts: [counter], config, logger, workers: true });
    runtimes.push(a);
    const b = await createRuntime({ contexts: [counter], config, logger, workers: false });
    runtimes.push(b);
    const gatewayA = createGateway({ runtime: a, contexts: [counter], auth, logger });
    const gatewayB = createGateway({ runtime: b, contexts: [counter], auth, logger });
    const { token } = await auth.issue({ sub: 'owner.scotia', role: 'owner', bank: 'Scotia Bank' });

    expect((await gatewayB.request('/health')).status).toBe(200);

    const live = await gatewayB.request(`/api/live?contexts=counter&access_token=${token}`);
    const reader = live.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const until = async (text: string) => {
      while (!received.includes(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${text}`);
        received += value;
      }
    };
    await until('event: ready');

    const reply = await gatewayA.request('/api/counter/counters/it1/increment', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Prefer: 'wait=10' },
      body: JSON.stringify({ by: 4 }),
    });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { status: string; statusUrl: string; events: Array<{ id: string }> };
    expect(body.status).toBe('applied');

    const counterRow = await gatewayB.request('/api/counter/counters/it1', { headers: { Authorization: `Bearer ${token}` } });
    expect(await counterRow.json()).toMatchObject({ id: 'it1', value: 4 });

    await until(body.events[0]!.id);
    expect(received).toContain('event: view');
    await reader.cancel();

    const status = await gatewayB.request(body.statusUrl, { headers: { Authorization: `Bearer ${token}` } });
    expect(status.status).toBe(200);

    const metrics = await (await gatewayA.request('/metrics')).text();
    expect(metrics).toMatch(/eventloom_projection_lag\{context="counter",projection="counters"\} 0/);
  });
});
