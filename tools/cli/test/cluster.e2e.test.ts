/**
 * Many processes at once (issue 12): three gateways and three workers as separate
 * processes on one Azurite and one Redis, under banking deposits through every gateway
 * and the order generator, while workers are SIGKILLed and restarted in turn. Then every
 * stored event is in its context's feed once and in stream order, every acknowledged
 * deposit is stored once, and the balances view equals the stored history.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openFeed, Storage } from '@eventloom/core';
import { compareFeedWithStore, comparePartitions, storeEvents, wholeFeed } from '@eventloom/core/testing';
import orders from '@eventloom/orders-context';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../src/ports.ts';
import { waitForUrl } from '../src/wait-for-url.ts';

const root = resolve(import.meta.dirname, '../../..');
const home = mkdtempSync(join(tmpdir(), 'eventloom-cluster-'));
const prefix = `cl${randomBytes(3).toString('hex')}`;
const connectionString = process.env.AZURE_STORAGE_CONNECTION_STRING!;
const children = new Set<ChildProcess>();

afterAll(async () => {
  await Promise.all([...children].map((child) => stop(child, 'SIGKILL')));
  rmSync(home, { recursive: true, force: true });
});

function start(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(root, script)], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      AZURE_STORAGE_CONNECTION_STRING: connectionString,
      REDIS_URL: process.env.REDIS_URL,
      EVENTLOOM_PREFIX: prefix,
      EVENTLOOM_HOME: home,
      EVENTLOOM_WORKERS: 'separate',
      ORDERS_DEMO_ORDERS: '0',
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill(signal);
  await exited;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

it('three gateways and three workers, workers killed in turn under load: every event in the feed once, every acknowledged deposit stored once, balances equal the history', { timeout: 300_000 }, async () => {
  // The first gateway creates the signing keys and accounts in EVENTLOOM_HOME; the others read them.
  const ports = [await freePort(), await freePort(), await freePort()];
  const gateways = ports.map((port) => `http://127.0.0.1:${port}`);
  start('apps/gateway/src/main.ts', { PORT: String(ports[0]) });
  expect(await waitForUrl(`${gateways[0]}/health`, { timeoutMs: 60_000 })).toBe(true);
  for (const port of ports.slice(1)) start('apps/gateway/src/main.ts', { PORT: String(port) });
  for (const gateway of gateways.slice(1)) expect(await waitForUrl(`${gateway}/health`, { timeoutMs: 60_000 })).toBe(true);
  const workers = [0, 1, 2].map(() => start('apps/gateway/src/worker.ts', {}));

  const { accounts } = JSON.parse(readFileSync(join(home, 'accounts.json'), 'utf8')) as { accounts: { username: string; password: string }[] };
  const admin = accounts.find((a) => a.username === 'admin')!;
  const signIn = await fetch(`${gateways[0]}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: admin.username, password: admin.password }) });
  const { token } = (await signIn.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  // A worker seeds the movie catalog the generator orders from.
  const catalogDeadline = performance.now() + 60_000;
  while (performance.now() < catalogDeadline) {
    const movies = (await (await fetch(`${gateways[0]}/api/orders/movies?limit=1`, { headers })).json()) as { items?: unknown[] };
    if ((movies.items?.length ?? 0) > 0) break;
    await sleep(500);
  }
  // Orders through the first gateway, as the README runs the generator.
  const generator = spawn('pnpm', ['--filter', '@eventloom/order-generator', 'start', '--', '--rate', '20', '--duration', '40'], {
    cwd: root,
    env: { ...process.env, GATEWAY_URL: gateways[0], EVENTLOOM_HOME: home },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(generator);
  const generated = new Promise<number | null>((done) => generator.once('exit', done));

  // Deposits through every gateway; a failed request is retried with its key until answered.
  const acknowledged = new Map<string, string>(); // event id → account stream
  const customers = Array.from({ length: 12 }, (_, i) => `CL${i}`);
  const deadline = performance.now() + 40_000;
  let retries = 0;
  const client = async (n: number) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const customer = customers[(n + i) % customers.length]!;
      const key = randomUUID();
      for (let attempt = 0; ; attempt++) {
        const gateway = gateways[(n + i + attempt) % gateways.length]!;
        const answer = await fetch(`${gateway}/api/banking/accounts/${customer}/republic/deposits`, { method: 'POST', headers: { ...headers, 'idempotency-key': key }, body: JSON.stringify({ amountCents: 100 + (i % 50) }) }).catch(() => undefined);
        if (answer && (answer.status === 200 || answer.status === 202)) {
          const body = (await answer.json()) as { events: { id: string }[] };
          for (const event of body.events) acknowledged.set(event.id, `account-${customer}-republic`);
          break;
        }
        if (answer && answer.status !== 503 && answer.status !== 409) throw new Error(`deposit answered ${answer.status}: ${await answer.text()}`);
        retries++;
        await sleep(200);
      }
    }
  };
  // Workers die and come back in turn while the load runs.
  const killer = (async () => {
    for (let round = 0; performance.now() < deadline - 8_000; round++) {
      await sleep(7_000);
      const index = round % workers.length;
      await stop(workers[index]!, 'SIGKILL');
      await sleep(1_500);
      workers[index] = start('apps/gateway/src/worker.ts', {});
    }
  })();
  await Promise.all([...Array.from({ length: 12 }, (_, n) => client(n)), killer]);
  expect(await generated).toBe(0);
  expect(acknowledged.size).toBeGreaterThan(100);

  const storage = new Storage(connectionString, prefix);
  for (const context of ['banking', 'orders']) {
    const store = await storeEvents(storage, context);
    const stored = [...store.values()].reduce((sum, events) => sum + events.length, 0);
    const { feed, partitions } = openFeed(storage, context, context === 'orders' ? orders.feed.partitions : 1);
    const deadlineFeed = performance.now() + 60_000;
    while ((await feed.head()) < stored && performance.now() < deadlineFeed) await sleep(500);
    const check = compareFeedWithStore(store, await wholeFeed(feed));
    expect(check.problems, `${context}: ${check.problems.slice(0, 5).join('; ')}`).toEqual([]);
    expect(check.feedCount).toBe(stored);
    expect(comparePartitions(await Promise.all(partitions.map((p) => wholeFeed(p))))).toEqual([]);
    if (context === 'banking') {
      const ids = new Map([...store.values()].flat().map((event) => [event.id as string, event]));
      for (const [id, stream] of acknowledged) expect(ids.get(id)?.s, `acknowledged ${id}`).toBe(stream);
      // The balances view, read through a gateway, equals the stored history once the workers caught up.
      const expected = new Map(customers.map((customer) => [customer, (store.get(`account-${customer}-republic`) ?? []).reduce((sum, e) => sum + Number(JSON.parse(String(e.data)).amountCents ?? 0), 0)]));
      const viewDeadline = performance.now() + 60_000;
      let seen = new Map<string, number>();
      do {
        seen = new Map();
        for (const customer of customers) {
          const answer = await fetch(`${gateways[1]}/api/banking/balances?customer=${customer}`, { headers });
          const { items } = (await answer.json()) as { items: { bank: string; balanceCents: number }[] };
          seen.set(customer, items.find((item) => item.bank === 'republic')?.balanceCents ?? 0);
        }
        if ([...expected].every(([customer, cents]) => seen.get(customer) === cents)) break;
        await sleep(500);
      } while (performance.now() < viewDeadline);
      expect(seen).toEqual(expected);
    }
  }
  console.log(`cluster: ${acknowledged.size} deposits acknowledged (${retries} retried requests) through 3 gateways while workers were killed in turn`);
});
