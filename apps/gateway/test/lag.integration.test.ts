/**
 * Time lag and the stalled alert on Azurite and Redis: a projection whose handler stops
 * (blocks on an event) shows seconds behind at once and eventloom_projection_stalled 1
 * within the stall threshold, in /metrics and in the admin overview, and goes back to
 * 0 s and not stalled once it applies again; a projection beside it that keeps up stays
 * 0 s behind and never stalled. A webhook subscription nobody delivers shows its lag too.
 */
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, defineAggregate, defineContext, defineEvent, defineProjection, type Principal, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import { counter, Incremented } from '@eventloom/counter-context';
import { pino } from 'pino';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';
import { startWebhookDelivery } from '../src/consumers/index.ts';
import type { WebhookDispatcher } from '../src/consumers/webhooks/dispatcher.ts';
import { deliveryState } from '../src/consumers/webhooks/dispatcher.ts';
import { WebhookStore } from '../src/consumers/webhooks/subscriptions.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);
/** Short, so the test takes seconds; the detector's timing is the same at the default 30 s. */
const stallAfterMs = 3_000;

/** While `gate` is set, `stuck` waits on it: a handler that stopped (a hung call, a deadlock). */
let gate: { promise: Promise<void>; open: () => void } | undefined;
const stuck = defineProjection({
  name: 'stuck',
  tables: ['Stuck'],
  handles: [Incremented.type],
  async apply(entry, { view }) {
    await gate?.promise;
    const data = entry.data as { counterId: string; by: number };
    await view('Stuck').update('stuck', data.counterId, (row) => ({ partitionKey: 'stuck', rowKey: data.counterId, value: Number(row?.value ?? 0) + data.by }));
  },
});
const steady = defineProjection({
  name: 'steady',
  tables: ['Steady'],
  handles: [Incremented.type],
  async apply(entry, { view }) {
    const data = entry.data as { counterId: string; by: number };
    await view('Steady').update('steady', data.counterId, (row) => ({ partitionKey: 'steady', rowKey: data.counterId, value: Number(row?.value ?? 0) + data.by }));
  },
});
const lagging = defineContext({
  name: 'lagging',
  events: [Incremented],
  aggregates: [counter],
  projections: [stuck, steady],
  contracts: { published: [{ event: Incremented, style: 'delta', description: 'A counter went up.' }] },
});

/** A context that publishes its increments but not its notes: webhooks are sent only the former. */
const Noted = defineEvent('Noted', { schema: z.object({ text: z.string() }), description: 'A note, kept to itself.' });
const notebook = defineAggregate({
  name: 'notebook',
  initialState: () => ({}),
  evolve: (state: object) => state,
  commands: {
    note: { schema: z.object({ text: z.string() }).strict(), stream: () => 'notebook-1', decide: (input: { text: string }) => [Noted({ text: input.text })] },
  },
});
const noisy = defineContext({
  name: 'noisy',
  events: [Incremented, Noted],
  aggregates: [counter, notebook],
  projections: [],
  contracts: { published: [{ event: Incremented, style: 'delta', description: 'A counter went up.' }] },
});

const owner: Principal = { sub: 'owner.scotia', role: 'owner', bank: 'Scotia Bank' };

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!haveAzurite)('time lag and stalled projections on Azurite and Redis', () => {
  let runtime: Runtime;
  let app: ReturnType<typeof createGateway>;
  let adminToken: string;
  let dispatcher: WebhookDispatcher;

  /** A /metrics series' value, by name and labels; undefined when absent. */
  const metric = async (name: string, labels: string): Promise<number | undefined> => {
    const text = await (await app.request('/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const projection = (name: string) => `context="lagging",projection="${name}"`;
  const increment = (id: string) => runtime.context('lagging').execute('counter', 'increment', { id, by: 1 }, { principal: owner });
  const overview = async () => {
    const response = await app.request('/api/admin/projections', { headers: { Authorization: `Bearer ${adminToken}` } });
    const body = (await response.json()) as { contexts: { name: string; projections: { name: string; state: string; lag: number; lagSeconds: number; stalled: boolean }[] }[] };
    return body.contexts.find((c) => c.name === 'lagging')!.projections;
  };

  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-lag-')));
    runtime = await createRuntime({ contexts: [lagging, noisy], config: testConfig({ name: 'lag', LOG_LEVEL: 'silent' }), logger, tuning: { stallAfterMs } });
    app = createGateway({ runtime, contexts: [lagging, noisy], auth, logger });
    // Deliveries of noisy's subscriptions only: lagging's are left undelivered.
    dispatcher = await startWebhookDelivery(runtime, [noisy], logger, { idleMs: 500, reconcileMs: 500, targets: 'any' });
    adminToken = (await auth.issue({ sub: 'admin', role: 'admin' })).token;
  });
  afterAll(async () => {
    gate?.open();
    await dispatcher?.stop();
    await runtime?.close();
  });

  it('says a caught-up projection is 0 s behind and not stalled', async () => {
    await increment('c-1');
    await until(
      'both projections applied',
      async () =>
        (await metric('eventloom_feed_head', 'context="lagging"')) === 1 &&
        (await metric('eventloom_projection_lag', projection('stuck'))) === 0 &&
        (await metric('eventloom_projection_lag', projection('steady'))) === 0,
    );
    // Well past the threshold with nothing to apply: idle, not stalled.
    await new Promise((resolve) => setTimeout(resolve, stallAfterMs + 500));
    for (const name of ['stuck', 'steady']) {
      expect(await metric('eventloom_projection_lag_seconds', projection(name))).toBe(0);
      expect(await metric('eventloom_projection_stalled', projection(name))).toBe(0);
    }
    expect((await overview()).map((p) => [p.name, p.state, p.lagSeconds, p.stalled])).toEqual([
      ['stuck', 'live', 0, false],
      ['steady', 'live', 0, false],
    ]);
  });

  it('flags a projection that stops applying as stalled within the threshold, with its seconds behind, and clears it when it moves again', async () => {
    let open!: () => void;
    gate = { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
    const appended = Date.now();
    await increment('c-2');
    await increment('c-3');

    // Behind in events and in seconds at once; not stalled before the threshold.
    await until('stuck behind', async () => (await metric('eventloom_projection_lag', projection('stuck'))) === 2);
    await until('seconds behind', async () => ((await metric('eventloom_projection_lag_seconds', projection('stuck'))) ?? 0) > 0.5);
    if (Date.now() - appended < stallAfterMs - 1_000) expect(await metric('eventloom_projection_stalled', projection('stuck'))).toBe(0);

    // Flagged within the threshold and a scrape or two of it (here 60 s would be the bound at the default).
    await until('stalled flag', async () => (await metric('eventloom_projection_stalled', projection('stuck'))) === 1, stallAfterMs + 5_000);
    const flaggedAfter = Date.now() - appended;
    expect(flaggedAfter).toBeGreaterThanOrEqual(stallAfterMs);
    expect(flaggedAfter).toBeLessThan(stallAfterMs + 3_000);
    expect(await metric('eventloom_projection_lag_seconds', projection('stuck'))).toBeGreaterThanOrEqual(stallAfterMs / 1000);
    // The one beside it kept up.
    expect(await metric('eventloom_projection_lag_seconds', projection('steady'))).toBe(0);
    expect(await metric('eventloom_projection_stalled', projection('steady'))).toBe(0);
    // The admin overview samples once a second: the flag shows there by the next sample.
    const stalled = await until('stalled in the overview', async () => (await overview()).find((p) => p.name === 'stuck' && p.stalled), 2_500);
    expect(stalled).toMatchObject({ state: 'stalled', lag: 2, stalled: true });
    expect(stalled.lagSeconds).toBeGreaterThanOrEqual(stallAfterMs / 1000);

    gate.open();
    gate = undefined;
    await until('stuck caught up', async () => (await metric('eventloom_projection_lag', projection('stuck'))) === 0);
    expect(await metric('eventloom_projection_stalled', projection('stuck'))).toBe(0);
    expect(await metric('eventloom_projection_lag_seconds', projection('stuck'))).toBe(0);
  });

  it('shows how far behind a webhook subscription nobody delivers is, in events and seconds', async () => {
    const head = await runtime.context('lagging').feed.head();
    const store = new WebhookStore(runtime);
    const subscription = await store.create({ url: 'http://127.0.0.1:9/never', contexts: ['lagging'], owner: 'admin', start: { lagging: head } });
    const labels = `context="lagging",subscription="${subscription.id}"`;
    expect(await metric('eventloom_consumer_lag', labels)).toBe(0);
    expect(await metric('eventloom_consumer_lag_seconds', labels)).toBe(0);

    await increment('c-4');
    await until('consumer behind', async () => (await metric('eventloom_consumer_lag', labels)) === 1);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await metric('eventloom_consumer_lag_seconds', labels)).toBeGreaterThan(1);
    // The same on the subscription, for its owner and the admin.
    const listed = (await (await app.request('/api/webhooks', { headers: { Authorization: `Bearer ${adminToken}` } })).json()) as {
      items: { id: string; lag?: { context: string; events: number; seconds: number }[] }[];
    };
    const lag = listed.items.find((item) => item.id === subscription.id)!.lag!;
    expect(lag).toEqual([{ context: 'lagging', events: 1, seconds: expect.any(Number) }]);
    expect(lag[0]!.seconds).toBeGreaterThan(1);
    await store.remove(subscription.id);
  });

  it('moves a delivered subscription’s saved cursor past the events it is not sent, so it is not counted behind by them', async () => {
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const store = new WebhookStore(runtime);
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
      const subscription = await store.create({ url, contexts: ['noisy'], owner: 'admin', start: { noisy: await runtime.context('noisy').feed.head() } });
      const labels = `context="noisy",subscription="${subscription.id}"`;
      const noisyContext = runtime.context('noisy');
      await noisyContext.execute('counter', 'increment', { id: 'n-1', by: 1 }, { principal: owner });
      for (let i = 0; i < 5; i++) await noisyContext.execute('notebook', 'note', { text: `note ${i}` }, { principal: owner });
      const head = await until('six entries placed', async () => {
        const h = await noisyContext.feed.head();
        return h >= 6 && h;
      });
      await until('the cursor past the notes', async () => (await deliveryState(runtime, subscription.id))?.cursors.noisy === head, 10_000);
      expect((await deliveryState(runtime, subscription.id))?.delivered).toBe(1);
      await until('0 behind in /metrics', async () => (await metric('eventloom_consumer_lag', labels)) === 0);
      expect(await metric('eventloom_consumer_lag_seconds', labels)).toBe(0);
      await store.remove(subscription.id);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
