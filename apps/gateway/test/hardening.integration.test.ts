/**
 * What one hostile or unlucky request once did to the gateway (issue 11, "Found"), each
 * against the real runtime on Azurite and Redis and a real HTTP server, so connection
 * behaviour (keep-alive after a refusal) is what a client sees.
 */
import { mkdtemp } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import banking from '@eventloom/banking-context';
import { createRuntime, type Principal, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import counter from '@eventloom/counter-context';
import orders from '@eventloom/orders-context';
import reporting from '@eventloom/reporting-context';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);

const principals = {
  admin: { sub: 'admin', role: 'admin' },
  republic: { sub: 'owner.republic', role: 'owner', bank: 'Republic Bank' },
  firstCitizens: { sub: 'owner.firstcitizens', role: 'owner', bank: 'First Citizens' },
  reader: { sub: 'consumer.all', role: 'consumer', contexts: ['*'] },
} satisfies Record<string, Principal>;
type Who = keyof typeof principals;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

describe.skipIf(!haveAzurite)('the gateway against hostile and unlucky requests', () => {
  let runtime: Runtime;
  let server: ServerType;
  let base: string;
  const tokens = {} as Record<Who, string>;
  // One socket, kept alive: every request of a test rides the same connection.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    const contexts = [counter, banking, orders, reporting];
    runtime = await createRuntime({ contexts, config: testConfig({ name: 'hard', LOG_LEVEL: 'silent' }) });
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-hard-')));
    for (const [who, principal] of Object.entries(principals)) tokens[who as Who] = (await auth.issue(principal)).token;
    const app = createGateway({ runtime, contexts, auth, logger: pino({ level: 'silent' }), quotas: { webhooksPerOwner: 2 }, webhookTargets: 'any' });
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await runtime?.close();
  });

  /** One request on the shared keep-alive connection; a network failure rejects. */
  function call(method: string, path: string, options: { as?: Who; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.as) headers.authorization = `Bearer ${tokens[options.as]}`;
      if (options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        headers['content-length'] = String(Buffer.byteLength(options.body));
      }
      const req = httpRequest(`${base}${path}`, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  const json = (value: unknown) => JSON.stringify(value);
  const appended = (context: string) => (runtime.context(context) as unknown as { counters: { appends: number } }).counters.appends;

  it('refuses an hourly report over a hundred years at once and stays up', async () => {
    const answer = await call('GET', '/api/reporting/orders/hourly?from=0001-01-01T00:00:00Z&to=9999-01-01T00:00:00Z', { as: 'reader' });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await call('GET', '/health')).status).toBe(200);
  });

  it('authorizes before an idempotency key can answer: another owner with the same key is refused, not told "duplicate"', async () => {
    const first = await call('POST', '/api/banking/accounts/U1001/republic/deposits', { as: 'republic', body: json({ amountCents: 500 }), headers: { 'idempotency-key': 'seed-0' } });
    expect(first.status, json(first.body)).toBe(202);
    const other = await call('POST', '/api/banking/accounts/U1001/republic/deposits', { as: 'firstCitizens', body: json({ amountCents: 500 }), headers: { 'idempotency-key': 'seed-0' } });
    expect(other.status, json(other.body)).toBe(403);
    expect(other.body.duplicate).toBeUndefined();
    // The same caller, the same key, another body: named, not silently ignored.
    const reused = await call('POST', '/api/banking/accounts/U1001/republic/deposits', { as: 'republic', body: json({ amountCents: 999 }), headers: { 'idempotency-key': 'seed-0' } });
    expect(reused.status, json(reused.body)).toBe(422);
    expect(reused.body.type).toMatch(/idempotency-key-reused$/);
    expect(reused.body.detail).toContain('seed-0');
    const again = await call('POST', '/api/banking/accounts/U1001/republic/deposits', { as: 'republic', body: json({ amountCents: 500 }), headers: { 'idempotency-key': 'seed-0' } });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ duplicate: true, commandId: first.body.commandId });
  });

  it.each([
    ['banking', '/api/banking/accounts/U1001/republic/deposits', '{"__proto__":{"x":1}}'],
    ['banking', '/api/banking/accounts/U1001/republic/deposits', '{"amountCents":100,"constructor":{"prototype":{}}}'],
    ['banking', '/api/banking/accounts/U1001/republic/deposits', '{"amountCents":100,"constructor":1,"toString":2,"hasOwnProperty":3}'],
    ['banking', '/api/banking/transactions', '{"customer":"U1001","bank":"republic","type":"deposit","amountCents":100,"__proto__":{"amountCents":5}}'],
    ['orders', '/api/orders/orders', '{"__proto__":{"Region":"West"}}'],
    ['orders', '/api/orders/orders/batch', '[{"constructor":{"prototype":{"polluted":true}}}]'],
  ])('answers a body with a prototype key on %s %s with 400 and writes nothing', async (context, path, body) => {
    const before = appended(context);
    const answer = await call('POST', path, { as: 'admin', body });
    expect(answer.status, json(answer.body)).toBe(400);
    expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(appended(context)).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers the next request on a keep-alive connection after refusing a 3 MB body', async () => {
    const big = json({ amountCents: 100, memo: 'x'.repeat(3 * 1024 * 1024) });
    const refused = await call('POST', '/api/banking/accounts/U1001/republic/deposits', { as: 'admin', body: big });
    expect(refused.status).toBe(413);
    const next = await call('GET', '/health');
    expect(next.status).toBe(200);
  });

  it.each([
    ['array', `{"amountCents":100,"memo":${'['.repeat(20_000)}${']'.repeat(20_000)}}`],
    ['object', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
  ])('refuses JSON nested %s-deep past any sane depth with 400, before a handler walks it', async (_shape, body) => {
    const before = appended('banking');
    const answer = await call('POST', '/api/banking/accounts/U1001/republic/deposits', { as: 'admin', body });
    expect(answer.status, json(answer.body)).toBe(400);
    expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(appended('banking')).toBe(before);
  });

  it('answers a compressed body it cannot read with 415, naming the encodings it takes', async () => {
    const before = appended('banking');
    const answer = await call('POST', '/api/banking/accounts/U1001/republic/deposits', { as: 'admin', body: json({ amountCents: 100 }), headers: { 'content-encoding': 'gzip' } });
    expect(answer.status, json(answer.body)).toBe(415);
    expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(answer.headers['accept-encoding']).toBe('identity');
    expect(appended('banking')).toBe(before);
    // identity is no encoding at all
    const plain = await call('POST', '/api/banking/accounts/U1001/republic/deposits', { as: 'admin', body: json({ amountCents: 100 }), headers: { 'content-encoding': 'identity' } });
    expect(plain.status, json(plain.body)).toBe(202);
  });

  it('refuses a live stream that names a context twice, or too many', async () => {
    const repeated = await call('GET', `/api/live?contexts=${Array.from({ length: 500 }, () => 'counter').join(',')}`, { as: 'reader' });
    expect(repeated.status).toBe(400);
    expect(json(repeated.body.errors)).toMatch(/contexts/);
    const twice = await call('GET', '/api/live?contexts=counter,banking,counter', { as: 'reader' });
    expect(twice.status).toBe(400);
  });

  it('holds a consumer to its quota of webhook subscriptions, with 429 and Retry-After', async () => {
    const register = () => call('POST', '/api/webhooks', { as: 'reader', body: json({ url: 'http://127.0.0.1:9/hook', contexts: ['banking'] }) });
    expect((await register()).status).toBe(201);
    expect((await register()).status).toBe(201);
    const refused = await register();
    expect(refused.status, json(refused.body)).toBe(429);
    expect(refused.body.type).toMatch(/quota-exceeded$/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another owner's subscriptions do not count against this one.
    expect((await call('POST', '/api/webhooks', { as: 'admin', body: json({ url: 'http://127.0.0.1:9/hook', contexts: ['banking'] }) })).status).toBe(201);
  });
});
