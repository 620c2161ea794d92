/**
 * The client against a real gateway (in process) over a real runtime on Azurite
 * and Redis: typed commands with Prefer: wait and idempotency keys, refusals as
 * ProblemErrors, cursor paging, and a context's feed by long-poll and SSE.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import banking from '@eventloom/banking-context';
import { createRuntime, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import { createGateway, loadAuth } from '@eventloom/gateway';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body, command, feedStream, followFeed, GatewayClient, GatewayUnreachable, pages, ProblemError, readFeed } from '../src/index.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);
const deposits = '/api/banking/accounts/{customer}/{bank}/deposits';

describe.skipIf(!haveAzurite)('the gateway client on a real gateway', () => {
  let runtime: Runtime;
  let client: GatewayClient;
  let anonymous: GatewayClient;

  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-client-')));
    runtime = await createRuntime({ contexts: [banking], config: testConfig({ name: 'clnt' }), logger, workers: true });
    const app = createGateway({ runtime, contexts: [banking], auth, logger });
    const fetch = async (request: Request) => app.request(request);
    const { token } = await auth.issue({ sub: 'admin', role: 'admin' });
    client = new GatewayClient({ baseUrl: 'http://gateway.test', token, fetch });
    anonymous = new GatewayClient({ baseUrl: 'http://gateway.test', fetch });
  }, 60_000);
  afterAll(() => runtime?.close());

  const deposit = (customer: string, amountCents: number, options: Parameters<typeof command>[0] = { wait: 5 }) =>
    body(client.api.POST(deposits, { params: { path: { customer, bank: 'republic' }, header: command(options) }, body: { amountCents } }));

  it('answers a command with Prefer: wait once the views show it, and 202 accepted without', async () => {
    const applied = await deposit('C1001', 2_500);
    expect(applied).toMatchObject({ status: 'applied', duplicate: false, balanceAfterCents: 2_500, stream: 'account-C1001-republic' });
    const accepted = await deposit('C1001', 100, {});
    expect(accepted.status).toBe('accepted');
    expect(accepted.statusUrl).toBe(`/api/banking/commands/${accepted.commandId}`);
  });

  it('throws a 400 as a ProblemError with its field errors, and a refused withdrawal as a 422 with its code', async () => {
    const invalid = await deposit('C1002', -5).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(ProblemError);
    expect(invalid).toMatchObject({ status: 400, title: expect.any(String), type: expect.stringContaining('validation') });
    expect((invalid as ProblemError).errors.amountCents?.length).toBeGreaterThan(0);

    await deposit('C1002', 1_000);
    const overdraft = await body(
      client.api.POST('/api/banking/accounts/{customer}/{bank}/withdrawals', { params: { path: { customer: 'C1002', bank: 'republic' }, header: command({ wait: 5 }) }, body: { amountCents: 1_001 } }),
    ).catch((error: unknown) => error);
    expect(overdraft).toBeInstanceOf(ProblemError);
    expect(overdraft).toMatchObject({ status: 422, code: 'insufficient-funds' });
    expect((overdraft as ProblemError).detail).toBeTruthy();
  });

  it('sends the token it holds: without one the gateway answers 401 as a ProblemError; an unreachable gateway is GatewayUnreachable', async () => {
    await expect(body(anonymous.api.GET('/api/banking/balances', {}))).rejects.toMatchObject({ name: 'ProblemError', status: 401 });
    // The gateway's own documents need no token and are not routes of /openapi.json.
    expect(await anonymous.document('/asyncapi.json')).toMatchObject({ asyncapi: expect.stringMatching(/^3\./) });
    const signedOut = new GatewayClient({ baseUrl: 'http://127.0.0.1:9' });
    await expect(signedOut.api.GET('/health')).rejects.toBeInstanceOf(GatewayUnreachable);
  });

  it('applies a command once per idempotency key: the repeat answers the first result as a duplicate', async () => {
    const key = `deposit-${Date.now()}`;
    const first = await deposit('C1003', 700, { wait: 5, idempotencyKey: key });
    const again = await deposit('C1003', 700, { wait: 5, idempotencyKey: key });
    expect(again).toMatchObject({ duplicate: true, commandId: first.commandId });
    const other = await deposit('C1003', 700);
    expect(other.commandId).not.toBe(first.commandId);
    const balance = await body(client.api.GET('/api/banking/customers/{customer}/balance', { params: { path: { customer: 'C1003' } } }));
    expect(JSON.stringify(balance)).toContain('1400');
    // The same key for a different command is refused rather than answered with the first result.
    await expect(deposit('C1003', 1, { idempotencyKey: key })).rejects.toMatchObject({ status: 422, code: 'idempotency-key-reused' });
  });

  it('pages through a listing by its cursor until a page comes without one', async () => {
    for (let n = 1; n <= 5; n++) await deposit('C1004', n * 10);
    const seen: { seen: number; cursor: string | undefined }[] = [];
    const amounts: number[] = [];
    for await (const page of pages((cursor) => body(client.api.GET('/api/banking/events', { params: { query: { customer: 'C1004', limit: 2, ...(cursor ? { cursor } : {}) } } })))) {
      seen.push({ seen: page.items.length, cursor: page.cursor });
      amounts.push(...page.items.filter((entry) => entry.type === 'Deposited').map((entry) => entry.amountCents));
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.at(-1)!.cursor).toBeUndefined();
    expect(amounts.sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50]);
  });

  it("reads the context's feed: pages with a cursor, a long-poll that wakes on a new event, and the SSE stream resuming after a cursor", async () => {
    await deposit('C1005', 5);
    let head = await readFeed(client, 'banking', { limit: 500 });
    await expect.poll(async () => (head = await readFeed(client, 'banking', { limit: 500 })).events.some((e) => e.subject?.includes('C1005') || JSON.stringify(e.data).includes('C1005')), { timeout: 15_000 }).toBe(true);
    expect(head.events.every((e) => e.specversion === '1.0' && e.source.includes('banking'))).toBe(true);
    for (let page = head; !page.atHead; page = await readFeed(client, 'banking', { after: page.cursor, limit: 500 })) head = page;
    const atHead = await readFeed(client, 'banking', { after: head.cursor, limit: 500 });
    expect(atHead).toMatchObject({ events: [], atHead: true });

    // Long-poll from the head: the read is held until the next deposit reaches the feed.
    const abort = new AbortController();
    const follow = followFeed(client, 'banking', { after: atHead.cursor, wait: 10, signal: abort.signal });
    const next = follow.next();
    await deposit('C1006', 6);
    const woken = await next;
    expect(JSON.stringify(woken.value?.events)).toContain('C1006');
    abort.abort();

    // The same events pushed as SSE from the head before C1006, each with the cursor to resume after it.
    const closing = new AbortController();
    const stream = await feedStream(client, 'banking', { after: atHead.cursor, signal: closing.signal });
    const pushed = await stream.next();
    expect(JSON.stringify(pushed.value?.event)).toContain('C1006');
    expect(pushed.value?.cursor).toBeTruthy();
    closing.abort();
    await stream.return(undefined);
  });
});
