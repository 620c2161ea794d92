/**
 * Consumers on Azurite and Redis: the CloudEvents feed (paging past internal events,
 * long-poll, SSE), consumer keys (hashed, scoped, revoked everywhere at once) and
 * the links of thin notifications.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import banking from '@eventloom/banking-context';
import { createRuntime, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import counter from '@eventloom/counter-context';
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth, type Auth } from '../src/auth/auth.ts';
import { PublishedFeed } from '../src/consumers/published-feed.ts';
import { ledger } from './ledger-context.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);
const contexts = [counter, banking, ledger];
const system = { sub: 'test', role: 'admin' as const };

type Gateway = ReturnType<typeof createGateway>;

describe.skipIf(!haveAzurite)('consumer feeds, keys and links on Azurite and Redis', () => {
  const logger = pino({ level: 'silent' });
  let a: Runtime;
  let b: Runtime;
  let auth: Auth;
  let gateway: Gateway;
  let other: Gateway;
  let admin: Record<string, string>;

  beforeAll(async () => {
    const config = testConfig({ name: 'cons' });
    auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-consumers-')));
    // A runs the workers; B is a second gateway instance sharing storage and the bus.
    a = await createRuntime({ contexts, config, logger, workers: true });
    b = await createRuntime({ contexts, config, logger, workers: false });
    gateway = createGateway({ runtime: a, contexts, auth, logger });
    other = createGateway({ runtime: b, contexts, auth, logger });
    admin = { Authorization: `Bearer ${(await auth.issue({ sub: 'admin', role: 'admin' })).token}`, 'Content-Type': 'application/json' };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const note = (book: string, n: number, audits: number) => a.context('ledger').execute('book', 'note', { book, n, audits }, { principal: system });

  async function createKey(contextsInScope: string[]) {
    const response = await gateway.request('/api/consumer-keys', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'test system', contexts: contextsInScope }) });
    expect(response.status).toBe(201);
    return (await response.json()) as { key: { id: string; hint: string; contexts: string[] }; secret: string };
  }

  /** Reads a feed page the way a consumer does. */
  async function page(app: Gateway, path: string, secret: string) {
    const response = await app.request(path, { headers: { Authorization: `Bearer ${secret}` } });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/cloudevents-batch+json');
    const events = HTTP.toEvent({ headers: Object.fromEntries(response.headers), body: await response.text() }) as CloudEventV1<unknown>[];
    const next = /<([^>]+)>; rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    return { events, next: next!, atHead: response.headers.get('eventloom-at-head') === 'true' };
  }

  it('pages through published events only, in feed order, with the next cursor in the Link header', async () => {
    for (let n = 1; n <= 5; n++) await note(n % 2 ? 'odd' : 'even', n, 3);
    await expect.poll(async () => (await new PublishedFeed(a, ledger).read(0, 100)).entries.length, { timeout: 15_000 }).toBe(5);
    const { secret } = await createKey(['ledger']);
    let path = '/api/ledger/feed?limit=2';
    const seen: CloudEventV1<unknown>[] = [];
    for (let pages = 0; pages < 10; pages++) {
      const result = await page(gateway, path, secret);
      seen.push(...result.events);
      path = result.next;
      if (result.atHead && result.events.length === 0) break;
    }
    expect(seen).toHaveLength(5);
    expect(seen.map((e) => e.type)).toEqual(Array(5).fill('ledger.Noted.v1'));
    // The relay keeps each stream's order (streams may interleave either way).
    const notes = (book: string) => seen.filter((e) => e.subject === `book-${book}`).map((e) => (e.data as { n: number }).n);
    expect(notes('odd')).toEqual([1, 3, 5]);
    expect(notes('even')).toEqual([2, 4]);
    const first = seen.find((e) => e.subject === 'book-odd')!;
    expect(first).toMatchObject({ specversion: '1.0', source: '/eventloom/ledger', datacontenttype: 'application/json', dataref: '/api/ledger/books/odd' });
    expect(first.correlationid).toEqual(expect.any(String));
    expect(first.causationid).toEqual(expect.any(String));
    // Sequences sort as text in feed order, and skip the internal events between them.
    const sequences = seen.map((e) => String(e.sequence));
    expect([...sequences].sort()).toEqual(sequences);
    for (let i = 1; i < sequences.length; i++) expect(Number(sequences[i]) - Number(sequences[i - 1])).toBeGreaterThanOrEqual(4);
  });

  it('skips a long run of internal events in batches and moves the cursor past them', async () => {
    await note('quiet', 100, 60);
    const feed = new PublishedFeed(a, ledger);
    // The relay places the commit in the feed a moment after it is stored.
    await expect.poll(async () => (await feed.read(0, 1000)).entries.at(-1)?.entry.data, { timeout: 15_000 }).toEqual({ book: 'quiet', n: 100 });
    const all = await feed.read(0, 1000);
    const last = all.entries.at(-1)!;
    // Starting right after the previous note: 60 internal events, read 25 at a time.
    const before = all.entries.at(-2)!.entry.seq;
    const found = await feed.read(before, 1, { batch: 25 });
    expect(found.entries.map((e) => e.entry.seq)).toEqual([last.entry.seq]);
    // A scan bound shorter than the run returns no event but a cursor that moved on.
    const bounded = await feed.read(before, 1, { batch: 25, maxScan: 30 });
    expect(bounded.entries).toEqual([]);
    expect(bounded.lastSeq).toBe(before + 30);
    expect(bounded.atHead).toBe(false);
  });

  it('refuses a cursor it did not issue', async () => {
    const response = await gateway.request('/api/ledger/feed?after=bm9wZQ', { headers: admin });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: Record<string, string[]> }).errors.after).toBeDefined();
  });

  it('holds a long-poll until a published event arrives, on a gateway instance without workers', async () => {
    const { secret } = await createKey(['ledger']);
    let head = '/api/ledger/feed?limit=100';
    for (;;) {
      const result = await page(other, head, secret);
      head = result.next;
      if (result.atHead) break;
    }
    const started = Date.now();
    const waiting = page(other, `${head}&wait=15`, secret);
    setTimeout(() => void note('late', 7, 2), 400);
    const result = await waiting;
    expect(result.events.map((e) => e.data)).toEqual([{ book: 'late', n: 7 }]);
    expect(Date.now() - started).toBeLessThan(10_000);

    const empty = await page(other, `${result.next}&wait=1`, secret);
    expect(empty.events).toEqual([]);
  });

  it('streams published events over SSE with the cursor as the event id', async () => {
    const { secret } = await createKey(['*']);
    const response = await gateway.request('/api/ledger/feed/stream', { headers: { Authorization: `Bearer ${secret}` } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    setTimeout(() => void note('streamed', 8, 1), 300);
    while (!received.includes('"book":"streamed"')) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value;
    }
    await reader.cancel();
    expect(received).toContain('event: cloudevent');
    expect(received).toMatch(/id: [A-Za-z0-9_-]+/);
    expect(received).not.toContain('Audited');
  });

  it('keeps only the hash of a key, scopes it to its contexts and publishes banking transactions thin, with a link only a banking key opens', async () => {
    const bankingKey = await createKey(['banking']);
    const counterKey = await createKey(['counter']);
    expect(bankingKey.secret).toMatch(/^elk_[A-Za-z0-9_-]{43}$/);
    const listed = await (await gateway.request('/api/consumer-keys', { headers: admin })).text();
    expect(listed).toContain(bankingKey.key.id);
    expect(listed).not.toContain(bankingKey.secret);
    expect(listed).not.toContain(bankingKey.secret.slice(12));

    const deposit = await gateway.request('/api/banking/transactions', {
      method: 'POST',
      headers: { ...admin, Prefer: 'wait=10' },
      body: JSON.stringify({ customer: 'C77', bank: 'republic', type: 'deposit', amountCents: 1250 }),
    });
    expect([200, 202]).toContain(deposit.status);
    const depositId = ((await deposit.json()) as { events: { id: string; type: string }[] }).events.find((e) => e.type === 'Deposited')!.id;

    // The feed trails the commit by a relay step.
    const feedEvents = async () => (await page(gateway, '/api/banking/feed?limit=100', bankingKey.secret)).events;
    await expect.poll(async () => (await feedEvents()).some((e) => e.id === depositId), { timeout: 15_000 }).toBe(true);
    const events = await feedEvents();
    const thin = events.find((e) => e.id === depositId)!;
    expect(thin.type).toBe('banking.Deposited.v1');
    expect(thin.data).toEqual({ id: depositId, type: 'Deposited', stream: 'account-C77-republic', link: `/api/banking/events/${depositId}` });
    expect(thin.dataref).toBe(`/api/banking/events/${depositId}`);
    // AccountOpened is event-carried state: the data itself.
    expect(events.find((e) => e.type === 'banking.AccountOpened.v1')?.data).toEqual({ customer: 'C77', bank: 'republic' });

    // The link serves the transaction once banking's event log has it.
    const link = `/api/banking/events/${depositId}`;
    const open = () => gateway.request(link, { headers: { Authorization: `Bearer ${bankingKey.secret}` } });
    await expect.poll(async () => (await open()).status, { timeout: 15_000 }).toBe(200);
    expect(((await (await open()).json()) as { event: { data: { amountCents: number } } }).event.data.amountCents).toBe(1250);
    expect((await gateway.request(link)).status).toBe(401);
    expect((await gateway.request(link, { headers: { Authorization: `Bearer ${counterKey.secret}` } })).status).toBe(403);
    expect((await gateway.request('/api/banking/feed', { headers: { Authorization: `Bearer ${counterKey.secret}` } })).status).toBe(403);
    expect((await gateway.request(link, { headers: { Authorization: 'Bearer elk_not-a-key' } })).status).toBe(401);
  });

  it('stops accepting a revoked key on every gateway instance at once', async () => {
    const { key, secret } = await createKey(['counter']);
    const asKey = { Authorization: `Bearer ${secret}` };
    // The other instance has the key in its cache after this.
    expect((await other.request('/api/counter/feed', { headers: asKey })).status).toBe(200);
    const me = await other.request('/auth/me', { headers: asKey });
    expect(await me.json()).toMatchObject({ sub: `key:${key.id}`, role: 'consumer', contexts: ['counter'] });

    const revoked = await gateway.request(`/api/consumer-keys/${key.id}`, { method: 'DELETE', headers: admin });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ id: key.id, revokedAt: expect.any(String) });
    await expect.poll(async () => (await other.request('/api/counter/feed', { headers: asKey })).status, { timeout: 5_000 }).toBe(401);
    expect((await gateway.request('/api/counter/feed', { headers: asKey })).status).toBe(401);
  });

  it('refuses key management to anyone but an admin', async () => {
    const { secret } = await createKey(['*']);
    const response = await gateway.request('/api/consumer-keys', { headers: { Authorization: `Bearer ${secret}` } });
    expect(response.status).toBe(403);
    const unknown = await gateway.request('/api/consumer-keys', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'x', contexts: ['nowhere'] }) });
    expect(unknown.status).toBe(400);
  });
});
