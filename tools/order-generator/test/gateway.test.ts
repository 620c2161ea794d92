import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayClient } from '@eventloom/client';
import { createRuntime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing';
import { createGateway, loadAuth } from '@eventloom/gateway';
import orders, { closeCategoryCache } from '@eventloom/orders-context';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GatewaySink } from '../src/gateway-sink.ts';
import { run } from '../src/run.ts';

let setup: Awaited<ReturnType<typeof start>>;

/** The real gateway (auth, body limit, problems) over a real runtime with the orders context. */
async function start() {
  const home = await mkdtemp(join(tmpdir(), 'order-generator-'));
  const auth = await loadAuth(home);
  const runtime = await createRuntime({ contexts: [orders], config: testConfig({ name: 'gen', LOG_LEVEL: 'silent' }) });
  await runtime.seed();
  const context = runtime.context('orders');
  for (let i = 0; (await context.views.get('Movies', 'movie', '0000520')) === undefined; i++) {
    if (i > 300) throw new Error('the catalog was not seeded');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const app = createGateway({ runtime, contexts: [orders], auth, logger: pino({ level: 'silent' }) });
  const accounts = JSON.parse(await readFile(join(home, 'accounts.json'), 'utf8')) as { accounts: { username: string; password: string }[] };
  const password = accounts.accounts.find((a) => a.username === 'admin')!.password;
  return { app, runtime, password, close: async () => (await closeCategoryCache(context), await runtime.close()) };
}

beforeAll(async () => {
  setup = await start();
}, 60_000);
afterAll(() => setup?.close());

it('signs in, reads the catalog and sends orders through the gateway; a re-run is all duplicates', async () => {
  const client = new GatewaySink(new GatewayClient({ baseUrl: 'http://gateway.test', fetch: async (request) => setup.app.request(request) }));
  await client.signIn('admin', setup.password);
  const movies = await client.movies();
  expect(movies.length).toBeGreaterThanOrEqual(500);
  // Batches of 300 orders are larger than the gateway's default body limit: the client splits them.
  const options = { rate: 600, durationSeconds: 1, batch: 300, concurrency: 2, seed: 42, invalid: 0.05, resend: 0 };
  const first = await run(client, movies, options);
  expect(first.failed).toBe(0);
  expect(first.stored + first.rejected).toBe(600);
  expect(first.rejected).toBeGreaterThan(0);
  const again = await run(client, movies, options);
  expect(again).toMatchObject({ stored: 0, duplicates: first.stored, rejected: first.rejected, failed: 0 });
  await expect(client.signIn('admin', 'wrong')).rejects.toThrow(/401/);
}, 60_000);
