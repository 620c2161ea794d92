/**
 * Webhook delivery on Azurite and Redis, to a receiver on 127.0.0.1 that fails a few
 * times before it answers: every published event arrives, in order per stream, each
 * signed with the subscription's secret, and the delivery log shows the attempts.
 */
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import banking from '@eventloom/banking-context';
import { createRuntime, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import { connectionStringThrough, startHttpFaultProxy, storageTarget } from '@eventloom/core/testing/faults';
import counter from '@eventloom/counter-context';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';
import { startWebhookDelivery } from '../src/consumers/index.ts';
import { verify } from '../src/consumers/webhooks/signature.ts';
import type { WebhookDispatcher } from '../src/consumers/webhooks/dispatcher.ts';
import { keptAttempts, WebhookStore } from '../src/consumers/webhooks/subscriptions.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);
const contexts = [counter, banking];

interface Received {
  body: string;
  signature: string | undefined;
  contentType: string | undefined;
  event: { id: string; type: string; subject: string; streamversion: number; sequence: string; data: unknown };
}

/** Answers 500 to the first `failures` requests, then 204; remembers what it accepted. */
async function flakyReceiver(failures: number) {
  const accepted: Received[] = [];
  let requests = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests++;
      if (requests <= failures) {
        response.writeHead(500).end('not yet');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      accepted.push({
        body,
        signature: request.headers['eventloom-signature'] as string | undefined,
        contentType: request.headers['content-type'],
        event: JSON.parse(body) as Received['event'],
      });
      response.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, accepted, requests: () => requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe.skipIf(!haveAzurite)('webhook delivery on Azurite and Redis', () => {
  const logger = pino({ level: 'silent' });
  let runtime: Runtime;
  let dispatcher: WebhookDispatcher;
  let gateway: ReturnType<typeof createGateway>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-webhooks-')));
    runtime = await createRuntime({ contexts, config: testConfig({ name: 'hook' }), logger, workers: true });
    // The receivers here listen on 127.0.0.1: this gateway lets webhooks reach any address.
    dispatcher = await startWebhookDelivery(runtime, contexts, logger, { retry: { baseMs: 40, maxMs: 300, timeoutMs: 2_000 }, idleMs: 500, reconcileMs: 1_000, targets: 'any' });
    gateway = createGateway({ runtime, contexts, auth, logger, webhookTargets: 'any' });
    admin = { Authorization: `Bearer ${(await auth.issue({ sub: 'admin', role: 'admin' })).token}`, 'Content-Type': 'application/json' };
  }, 60_000);
  afterAll(async () => {
    await dispatcher?.stop();
    await runtime?.close();
  });

  it('delivers every published event at least once, in order per stream, signed, retrying a failing receiver with backoff', { timeout: 60_000 }, async () => {
    const receiver = await flakyReceiver(3);
    try {
      const created = await gateway.request('/api/consumer-keys', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'hooks', contexts: ['banking', 'counter'] }) });
      const { secret: keySecret } = (await created.json()) as { secret: string };
      const asKey = { Authorization: `Bearer ${keySecret}`, 'Content-Type': 'application/json' };

      // A key may not subscribe outside its scope.
      const outside = await gateway.request('/api/webhooks', { method: 'POST', headers: asKey, body: JSON.stringify({ url: receiver.url, contexts: ['*'] }) });
      expect(outside.status).toBe(403);

      const registered = await gateway.request('/api/webhooks', { method: 'POST', headers: asKey, body: JSON.stringify({ url: receiver.url, contexts: ['banking', 'counter'] }) });
      expect(registered.status).toBe(201);
      const { subscription, secret } = (await registered.json()) as { subscription: { id: string }; secret: string };
      // The table holds the signing secret sealed, never as given out.
      const stored = await (await runtime.storage.table('consumers', 'Webhooks')).getEntity<{ secret: string }>('webhooks', subscription.id);
      expect(stored.secret).toMatch(/^sealed:v1:/);
      expect(stored.secret).not.toContain(secret);

      const expected: string[] = [];
      const transact = async (customer: string, bank: string, type: string, amountCents?: number) => {
        const reply = await gateway.request('/api/banking/transactions', {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ customer, bank, type, ...(amountCents ? { amountCents } : {}) }),
        });
        expect(reply.status).toBe(202);
        expected.push(...((await reply.json()) as { events: { id: string }[] }).events.map((e) => e.id));
      };
      for (let i = 1; i <= 4; i++) {
        await transact('W1', 'scotia', 'deposit', 100 * i);
        await transact('W2', 'republic', i % 2 ? 'deposit' : 'void', i % 2 ? 50 : undefined);
        const increment = await gateway.request('/api/counter/counters/hooked/increment', { method: 'POST', headers: admin, body: JSON.stringify({ by: i }) });
        expected.push(...((await increment.json()) as { events: { id: string }[] }).events.map((e) => e.id));
      }

      await expect.poll(() => new Set(receiver.accepted.map((r) => r.event.id)).size, { timeout: 40_000, interval: 100 }).toBe(expected.length);
      expect(new Set(receiver.accepted.map((r) => r.event.id))).toEqual(new Set(expected));
      expect(receiver.requests()).toBeGreaterThan(expected.length);

      for (const received of receiver.accepted) {
        expect(received.contentType).toContain('application/cloudevents+json');
        expect(verify(secret, received.body, received.signature)).toBe(true);
        expect(verify('whsec_wrong', received.body, received.signature)).toBe(false);
      }
      // In order per stream (and per context feed).
      const byStream = new Map<string, number[]>();
      for (const { event } of receiver.accepted) byStream.set(event.subject, [...(byStream.get(event.subject) ?? []), event.streamversion]);
      expect(byStream.size).toBe(3);
      for (const versions of byStream.values()) expect(versions).toEqual([...versions].sort((x, y) => x - y));
      const withdrawnOrDeposited = receiver.accepted.find((r) => r.event.type === 'banking.Deposited.v1')!;
      expect(withdrawnOrDeposited.event.data).toMatchObject({ type: 'Deposited', link: `/api/banking/events/${withdrawnOrDeposited.event.id}` });

      // The admin sees the failed attempts and the successes (the log is written in batches, right after).
      type Attempt = { ok: boolean; status: number; attempt: number; latencyMs: number; error?: string };
      const log = async () =>
        ((await (await gateway.request(`/api/webhooks/${subscription.id}/deliveries?limit=500`, { headers: admin })).json()) as { items: Attempt[] }).items;
      await expect.poll(async () => (await log()).filter((item) => item.ok).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(expected.length);
      const items = await log();
      expect(items.filter((item) => !item.ok)).toHaveLength(3);
      expect(items.filter((item) => !item.ok).every((item) => item.status === 500 && item.error)).toBe(true);
      expect(Math.max(...items.map((item) => item.attempt))).toBe(4);

      const listed = await (await gateway.request('/api/webhooks', { headers: admin })).text();
      const state = (JSON.parse(listed) as { items: { id: string; state?: { delivered: number; failing?: unknown } }[] }).items.find((s) => s.id === subscription.id)?.state;
      expect(state?.delivered).toBeGreaterThanOrEqual(expected.length);
      expect(state?.failing).toBeUndefined();
      // The secret is shown once, never listed.
      expect(listed).not.toContain(secret);

      const removed = await gateway.request(`/api/webhooks/${subscription.id}`, { method: 'DELETE', headers: asKey });
      expect(removed.status).toBe(204);
    } finally {
      await receiver.close();
    }
  });

  it('keeps the newest 1,000 attempts of a subscription and drops its log when it is removed', { timeout: 60_000 }, async () => {
    const store = new WebhookStore(runtime);
    // Starting past any seq the feed will reach: the dispatcher has nothing to deliver to it.
    const subscription = await store.create({ url: 'https://receiver.example/hooks', contexts: ['counter'], owner: 'admin', start: { counter: Number.MAX_SAFE_INTEGER } });
    const at = Date.parse('2026-11-01T00:00:00Z');
    const attempts = deliveredAttempts(subscription.id, 1_150, at);
    await store.record(attempts);
    const kept = await store.deliveries(subscription.id, 2_000);
    expect(kept).toHaveLength(keptAttempts);
    expect(kept[0]!.seq).toBe(1_150);
    expect(kept[kept.length - 1]!.seq).toBe(151);
    await store.remove(subscription.id);
    expect(await store.deliveries(subscription.id, 10)).toEqual([]);
  });

  it('delivers each subscription from a loop in the worker group, which leaves the group when the subscription goes', { timeout: 30_000 }, async () => {
    const group = runtime.workerGroup!;
    const before = group.joined;
    const store = new WebhookStore(runtime);
    const subscription = await store.create({ url: 'https://receiver.example/group', contexts: ['counter'], owner: 'admin', start: { counter: Number.MAX_SAFE_INTEGER } });
    await dispatcher.reconcile();
    expect(group.joined).toBe(before + 1);
    await store.remove(subscription.id);
    await dispatcher.reconcile();
    expect(group.joined).toBe(before);
  });

  it('refuses to show a subscription to another consumer', async () => {
    const makeKey = async () =>
      ((await (await gateway.request('/api/consumer-keys', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'k', contexts: ['counter'] }) })).json()) as { secret: string }).secret;
    const [one, two] = [await makeKey(), await makeKey()];
    const registered = await gateway.request('/api/webhooks', {
      method: 'POST',
      headers: { Authorization: `Bearer ${one}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/never', contexts: ['counter'] }),
    });
    const { subscription } = (await registered.json()) as { subscription: { id: string } };
    const asTwo = { Authorization: `Bearer ${two}` };
    expect((await gateway.request(`/api/webhooks/${subscription.id}/deliveries`, { headers: asTwo })).status).toBe(404);
    expect((await gateway.request(`/api/webhooks/${subscription.id}`, { method: 'DELETE', headers: asTwo })).status).toBe(404);
    const mine = (await (await gateway.request('/api/webhooks', { headers: asTwo })).json()) as { items: unknown[] };
    expect(mine.items).toEqual([]);
    await gateway.request(`/api/webhooks/${subscription.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${one}` } });
  });
});

describe.skipIf(!haveAzurite)('webhooks limited to public addresses (the default)', () => {
  const logger = pino({ level: 'silent' });

  it('refuses to register a URL on loopback, the private network or a metadata address, and stores nothing', async () => {
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-webhooks-')));
    const runtime = await createRuntime({ contexts, config: testConfig({ name: 'hookpub' }), logger, workers: false });
    try {
      const gateway = createGateway({ runtime, contexts, auth, logger, webhookTargets: 'public' });
      const admin = { Authorization: `Bearer ${(await auth.issue({ sub: 'admin', role: 'admin' })).token}`, 'Content-Type': 'application/json' };
      for (const [url, kind] of [
        ['http://127.0.0.1:8080/hooks', 'loopback'],
        ['http://localhost:8080/hooks', 'loopback'],
        ['http://[::1]/hooks', 'loopback'],
        ['http://10.1.2.3/hooks', 'private'],
        ['http://169.254.169.254/latest/meta-data', 'linkLocal'],
        ['http://[::ffff:192.168.0.1]/hooks', 'private'],
      ]) {
        const response = await gateway.request('/api/webhooks', { method: 'POST', headers: admin, body: JSON.stringify({ url, contexts: ['counter'] }) });
        expect(response.status, url).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
        const problem = (await response.json()) as { errors: Record<string, string[]> };
        expect(problem.errors.url?.[0], url).toMatch(new RegExp(`${kind} address.*public addresses only`));
      }
      const listed = (await (await gateway.request('/api/webhooks', { headers: admin })).json()) as { items: unknown[] };
      expect(listed.items).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it('refuses at delivery too: a name that resolves to loopback gets nothing, and the log says why', { timeout: 30_000 }, async () => {
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-webhooks-')));
    const runtime = await createRuntime({ contexts, config: testConfig({ name: 'hookdns' }), logger, workers: true });
    // Registered while any address was allowed (or before its name moved to a private address)…
    const gateway = createGateway({ runtime, contexts, auth, logger, webhookTargets: 'any' });
    // …delivered by a worker that allows public addresses only.
    const dispatcher = await startWebhookDelivery(runtime, contexts, logger, { retry: { baseMs: 40, maxMs: 300, timeoutMs: 2_000 }, idleMs: 500, reconcileMs: 1_000, targets: 'public' });
    const receiver = await flakyReceiver(0);
    try {
      const admin = { Authorization: `Bearer ${(await auth.issue({ sub: 'admin', role: 'admin' })).token}`, 'Content-Type': 'application/json' };
      const url = receiver.url.replace('127.0.0.1', 'localhost');
      const registered = await gateway.request('/api/webhooks', { method: 'POST', headers: admin, body: JSON.stringify({ url, contexts: ['counter'] }) });
      expect(registered.status).toBe(201);
      const { subscription } = (await registered.json()) as { subscription: { id: string } };
      await runtime.context('counter').execute('counter', 'increment', { id: 'guarded', by: 1 }, { principal: { sub: 'admin', role: 'admin' } });

      let log: { ok: boolean; status: number; error?: string }[] = [];
      const deadline = Date.now() + 20_000;
      while (log.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        log = ((await (await gateway.request(`/api/webhooks/${subscription.id}/deliveries`, { headers: admin })).json()) as { items: typeof log }).items;
      }
      expect(log[0]).toMatchObject({ ok: false, status: 0 });
      expect(log[0]!.error).toMatch(/localhost resolves to .*loopback address; webhooks go to public addresses only/);
      expect(receiver.requests()).toBe(0);
    } finally {
      await dispatcher.stop();
      await receiver.close();
      await runtime.close();
    }
  });
});

describe.skipIf(!haveAzurite)('a delivery log write whose answer was lost', () => {
  it('counts as written when the retry meets its own rows, and keeps each attempt once', { timeout: 30_000 }, async () => {
    const config = testConfig({ name: 'hooklost' });
    let lost = 0;
    // The first transaction commits, then its connection is reset: the SDK retries it.
    const proxy = await startHttpFaultProxy({
      target: storageTarget(config.AZURE_STORAGE_CONNECTION_STRING, 'table'),
      service: 'table',
      decide: (request) => (lost === 0 && request.method === 'POST' && request.url.includes('$batch') ? (lost++, { kind: 'reset-after' }) : { kind: 'pass' }),
    });
    const runtime = await createRuntime({
      contexts,
      config: { ...config, AZURE_STORAGE_CONNECTION_STRING: connectionStringThrough(config.AZURE_STORAGE_CONNECTION_STRING, { table: proxy }) },
      logger: pino({ level: 'silent' }),
      workers: false,
    });
    try {
      const store = new WebhookStore(runtime);
      const at = Date.parse('2026-11-01T00:00:00Z');
      const attempts = deliveredAttempts('lost-answer', 3, at);
      await store.record(attempts);
      expect(lost).toBe(1);
      expect((await store.deliveries('lost-answer', 10)).map((a) => a.seq)).toEqual([3, 2, 1]);
    } finally {
      await runtime.close();
      await proxy.close();
    }
  });
});

/** `count` successful first attempts of one subscription, a second apart from `at`. */
function deliveredAttempts(subscription: string, count: number, at: number) {
  return Array.from({ length: count }, (_, i) => ({
    subscription,
    eventId: `e${i}`,
    context: 'counter',
    seq: i + 1,
    type: 'Incremented',
    stream: 'counter-x',
    attempt: 1,
    ok: true,
    status: 204,
    latencyMs: 3,
    at: new Date(at + i * 1000).toISOString(),
  }));
}
