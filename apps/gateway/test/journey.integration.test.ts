/**
 * Issue 15, the event's journey: a deposit through the gateway is followed, from the
 * platform's own records, from its acceptance through the store, the feed and each
 * banking projection to a webhook receiver — read as the event itself is read.
 */
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import banking from '@eventloom/banking-context';
import { createRuntime, type EventJourney, type Principal, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import counter from '@eventloom/counter-context';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';
import { startWebhookDelivery } from '../src/consumers/index.ts';
import type { WebhookDispatcher } from '../src/consumers/webhooks/dispatcher.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);
const contexts = [counter, banking];

/** Answers 500 to the first delivery of each event, then 204. */
async function receiver() {
  const seen = new Set<string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { id } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string };
      const first = !seen.has(id);
      seen.add(id);
      response.writeHead(first ? 500 : 204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe.skipIf(!haveAzurite)('event journey through the gateway', () => {
  const logger = pino({ level: 'silent' });
  let runtime: Runtime;
  let dispatcher: WebhookDispatcher;
  let gateway: ReturnType<typeof createGateway>;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  const as: Record<'admin' | 'republic' | 'scotia' | 'counterKey' | 'bankingKey' | 'otherKey', Record<string, string>> = {
    admin: {},
    republic: {},
    scotia: {},
    counterKey: {},
    bankingKey: {},
    otherKey: {},
  };

  beforeAll(async () => {
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-journey-')));
    runtime = await createRuntime({ contexts, config: testConfig({ name: 'journey' }), logger, workers: true });
    dispatcher = await startWebhookDelivery(runtime, contexts, logger, { retry: { baseMs: 40, maxMs: 300, timeoutMs: 2_000 }, idleMs: 500, reconcileMs: 1_000, targets: 'any' });
    gateway = createGateway({ runtime, contexts, auth, logger, webhookTargets: 'any' });
    const principals: Record<'admin' | 'republic' | 'scotia', Principal> = {
      admin: { sub: 'admin', role: 'admin' },
      republic: { sub: 'owner.republic', role: 'owner', bank: 'Republic Bank' },
      scotia: { sub: 'owner.scotia', role: 'owner', bank: 'Scotia Bank' },
    };
    for (const [who, principal] of Object.entries(principals)) {
      as[who as keyof typeof principals] = { Authorization: `Bearer ${(await auth.issue(principal)).token}`, 'Content-Type': 'application/json' };
    }
    const keyFor = async (name: string, scope: string[]) => {
      const key = await gateway.request('/api/consumer-keys', { method: 'POST', headers: as.admin, body: JSON.stringify({ name, contexts: scope }) });
      return { Authorization: `Bearer ${((await key.json()) as { secret: string }).secret}`, 'Content-Type': 'application/json' };
    };
    as.counterKey = await keyFor('counter only', ['counter']);
    as.bankingKey = await keyFor('banking hooks', ['banking']);
    as.otherKey = await keyFor('other banking consumer', ['banking']);
    hooks = await receiver();
  }, 60_000);
  afterAll(async () => {
    await hooks?.close();
    await dispatcher?.stop();
    await runtime?.close();
  });

  const journeyOf = async (eventId: string, headers = as.admin) => gateway.request(`/api/banking/events/${eventId}/journey`, { headers });

  it('follows a deposit: stored, placed, applied by every banking projection, delivered to the webhook', { timeout: 60_000 }, async () => {
    const registered = await gateway.request('/api/webhooks', { method: 'POST', headers: as.bankingKey, body: JSON.stringify({ url: hooks.url, contexts: ['banking'] }) });
    expect(registered.status).toBe(201);
    const { subscription } = (await registered.json()) as { subscription: { id: string } };

    const deposit = await gateway.request('/api/banking/accounts/J100/republic/deposits', {
      method: 'POST',
      headers: { ...as.republic, Prefer: 'wait=10' },
      body: JSON.stringify({ amountCents: 700 }),
    });
    expect(deposit.status, await deposit.clone().text()).toBe(200);
    // The first deposit opens the account too: follow the Deposited event.
    const eventId = ((await deposit.json()) as { events: { id: string; type: string }[] }).events.find((e) => e.type === 'Deposited')!.id;

    // Every projection's time is written just after its checkpoint is saved; the delivery once the receiver took it.
    let journey: EventJourney | undefined;
    await expect
      .poll(
        async () => {
          const response = await journeyOf(eventId, as.bankingKey);
          expect(response.status).toBe(200);
          journey = (await response.json()) as EventJourney;
          return journey.projections.every((p) => p.at) && journey.deliveries[0]?.state === 'delivered' && journey.deliveries[0].at !== undefined;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true);
    const j = journey!;
    expect(j).toMatchObject({ eventId, context: 'banking', type: 'Deposited', stream: expect.stringContaining('J100'), placed: { state: 'placed' } });
    expect(j.traceId).toMatch(/^[0-9a-f]{32}$/);
    const handling = banking.projections.filter((p) => !p.source && p.handles.includes('Deposited')).map((p) => p.name);
    expect(j.projections.map((p) => p.projection).sort()).toEqual([...handling].sort());
    expect(j.projections.every((p) => p.state === 'applied')).toBe(true);

    const stored = Date.parse(j.stored.at!);
    const placed = Date.parse((j.placed as { at: string }).at);
    expect(Date.parse(j.accepted.at)).toBeLessThanOrEqual(stored);
    expect(stored).toBeLessThanOrEqual(placed);
    for (const step of j.projections) expect(Date.parse(step.at!)).toBeGreaterThanOrEqual(placed);

    expect(j.deliveries).toEqual([expect.objectContaining({ subscription: subscription.id, kind: 'webhook', url: hooks.url, state: 'delivered', status: 204, attempts: 2 })]);
    expect(Date.parse(j.deliveries[0]!.at!)).toBeGreaterThanOrEqual(placed);

    // The admin sees every subscription; whoever else reads the event sees the event, not another's webhook.
    expect(((await (await journeyOf(eventId, as.admin)).json()) as EventJourney).deliveries).toHaveLength(1);
    for (const headers of [as.otherKey, as.scotia, as.republic]) {
      const other = await journeyOf(eventId, headers);
      expect(other.status).toBe(200);
      expect(((await other.json()) as EventJourney).deliveries).toEqual([]);
    }
  });

  it('is authorized as reading the event is, before any work', { timeout: 30_000 }, async () => {
    const deposit = await gateway.request('/api/banking/accounts/J200/republic/deposits', { method: 'POST', headers: { ...as.admin, Prefer: 'wait=10' }, body: JSON.stringify({ amountCents: 100 }) });
    const eventId = ((await deposit.json()) as { events: { id: string }[] }).events[0]!.id;
    for (const headers of [as.admin, as.republic, as.scotia, as.bankingKey, as.counterKey, {}]) {
      const event = await gateway.request(`/api/banking/events/${eventId}`, { headers });
      const journey = await journeyOf(eventId, headers);
      expect(journey.status).toBe(event.status);
    }
    // A key scoped elsewhere and nobody at all are refused with a problem.
    const refused = await journeyOf(eventId, as.counterKey);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await journeyOf(eventId, {})).status).toBe(401);
  });

  it('answers a bad id or an unknown event with a problem', async () => {
    const bad = await journeyOf('not-an-id');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await bad.json())).toContain('eventId must be an event id');
    const long = await journeyOf('a'.repeat(5000));
    expect(long.status).toBe(400);
    const unknown = await journeyOf('0190d7a8-0000-7000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });
});
