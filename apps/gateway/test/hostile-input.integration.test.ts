/**
 * Generated hostile input across the whole API (issue 11): for every operation of the
 * gateway's own OpenAPI document, requests with wrong types, missing and unknown fields,
 * numbers past every edge, odd strings and keys, broken and oversized bodies, bad path
 * and query values, and callers without a token or the role. Whatever comes in, the
 * gateway answers with a 4xx problem (2xx only for a request that may be valid), never a
 * 5xx or a dropped connection, and a refused request writes nothing.
 *
 * Seeded: a failure prints its seed; replay with HOSTILE_SEED=<seed> (HOSTILE_RUNS to
 * change the number of requests per operation).
 */
import { mkdtemp } from 'node:fs/promises';
import { Agent, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import banking from '@eventloom/banking-context';
import { createRuntime, type ContextDefinition, type Principal, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import counter from '@eventloom/counter-context';
import orders from '@eventloom/orders-context';
import reporting from '@eventloom/reporting-context';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';
import { gatewayServer } from '../src/http-server.ts';
import { expectedStatus, hostileRequest, operationsOf, type HostileRequest, type Operation, type Role } from './hostile/requests.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);
const seed = Number(process.env.HOSTILE_SEED ?? Date.now() % 2 ** 31);
const runsPerOperation = Number(process.env.HOSTILE_RUNS ?? 30);
const defaultBodyLimit = 64 * 1024;

const principals = {
  admin: { sub: 'admin', role: 'admin' },
  owner: { sub: 'owner.republic', role: 'owner', bank: 'Republic Bank' },
  consumer: { sub: 'consumer.all', role: 'consumer', contexts: ['*'] },
} satisfies Record<Role, Principal>;

interface Answer {
  status: number;
  contentType: string;
  body: string;
  /** An event stream that was let through; it was cut at once. */
  streamed: boolean;
}

describe.skipIf(!haveAzurite)('the gateway against generated hostile input', () => {
  const contexts: ContextDefinition[] = [counter, banking, orders, reporting];
  let runtime: Runtime;
  let server: Server;
  let base: string;
  let operations: Operation[];
  const tokens = {} as Record<Role, string>;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    runtime = await createRuntime({ contexts, config: testConfig({ name: 'hostile', LOG_LEVEL: 'silent' }) });
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-hostile-')));
    for (const [who, principal] of Object.entries(principals)) tokens[who as Role] = (await auth.issue(principal)).token;
    const app = createGateway({ runtime, contexts, auth, logger: pino({ level: 'silent' }), bodyLimit: defaultBodyLimit });
    server = gatewayServer(app.fetch);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const limits = new Map<string, number>(contexts.flatMap((context) => Object.entries(context.bodyLimits ?? {}).map(([path, bytes]) => [`/api/${context.name}${path}`, bytes] as const)));
    operations = operationsOf(JSON.parse(await read('/openapi.json', 'nobody')), (path) => limits.get(path) ?? defaultBodyLimit);
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await runtime?.close();
  });

  /** Sends one request on the shared keep-alive connection; a dropped connection or a hang rejects. */
  function send(request: HostileRequest): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...request.headers };
      if (request.caller !== 'nobody') headers.authorization = `Bearer ${tokens[request.caller]}`;
      if (request.body && !request.chunked) headers['content-length'] = String(request.body.length);
      if (request.chunked) headers['transfer-encoding'] = 'chunked';
      let answered = false;
      const req = httpRequest(`${base}${request.target}`, { method: request.method, headers, agent, timeout: 15_000 }, (res) => {
        answered = true;
        const contentType = String(res.headers['content-type'] ?? '');
        if (contentType.startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, contentType, body: '', streamed: true });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, body: Buffer.concat(chunks).toString('utf8'), streamed: false }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
      // The server may answer (413) and close before the whole body is written: that is no drop.
      req.on('error', (error) => (answered ? undefined : reject(error)));
      if (request.chunked && request.body) {
        for (let i = 0; i < request.body.length; i += 8192) req.write(request.body.subarray(i, i + 8192));
        req.end();
      } else {
        req.end(request.body);
      }
    });
  }

  const read = async (target: string, caller: Role | 'nobody') => (await send({ method: 'GET', target, caller, headers: {}, chunked: false, faults: [], opaque: false })).body;
  /** Refusals an operation answers itself (not the server's 431, nor a 404 or 405 of a path no route has). */
  const operationRefusals = new Set([400, 401, 403, 409, 413, 415, 422, 429]);
  /** How often each status was answered, for the summary line. */
  const statuses = new Map<number, number>();
  const appends = () => JSON.stringify(runtime.counters().appends);

  /** What the refused requests could have changed outside the event store. */
  async function records(): Promise<string> {
    return JSON.stringify(await Promise.all(['/api/consumer-keys', '/api/webhooks', '/api/orders/categories', '/api/admin/dead-letters'].map((target) => read(target, 'admin'))));
  }

  function describeRequest(op: Operation, request: HostileRequest, answer?: Answer): string {
    const body = request.body ? request.body.subarray(0, 300).toString('utf8') + (request.body.length > 300 ? `… (${request.body.length} bytes)` : '') : '(none)';
    const faults = request.faults.map((f) => `${f.stage}: ${f.why}`).join('; ') || '(none: may be valid)';
    const got = answer ? `${answer.status} ${answer.contentType} ${answer.body.slice(0, 300)}` : '(no answer)';
    return `${op.method} ${op.path} as ${request.caller}\n  sent ${request.method} ${request.target.slice(0, 300)}\n  headers ${JSON.stringify(request.headers).slice(0, 300)}\n  body ${body}\n  faults ${faults}\n  got ${got}\n  seed ${seed} (replay: HOSTILE_SEED=${seed})`;
  }

  /** Sends a request and holds the answer to the rules; returns what broke them, if anything. */
  async function judge(op: Operation, request: HostileRequest): Promise<string | undefined> {
    const before = appends();
    let answer: Answer;
    try {
      answer = await send(request);
    } catch (error) {
      return `the connection failed (${(error as Error).message})\n${describeRequest(op, request)}`;
    }
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    const expected = expectedStatus(request);
    const problems: string[] = [];
    if (answer.status >= 500) problems.push(`answered ${answer.status}`);
    if (answer.status >= 400 && answer.status < 500) {
      if (!answer.contentType.startsWith('application/problem+json')) problems.push(`a ${answer.status} that is not problem JSON`);
      else if ((JSON.parse(answer.body) as { status?: number }).status !== answer.status) problems.push('a problem whose status is not the answer’s');
    }
    // What a client generated from the document expects: every refusal the operation answers is listed (issue 17).
    if (request.method === op.method && operationRefusals.has(answer.status) && !op.documented.includes(String(answer.status))) {
      problems.push(`answered ${answer.status}, which /openapi.json does not list for ${op.method} ${op.path}`);
    }
    if (typeof expected === 'number' && answer.status !== expected) problems.push(`expected ${expected}`);
    if (expected === '4xx' && (answer.status < 400 || answer.status >= 500)) problems.push('expected a refusal (4xx)');
    if (answer.streamed && expected !== undefined) problems.push('a stream was opened');
    if (appends() !== before) problems.push(`events were appended: ${before} → ${appends()}`);
    return problems.length > 0 ? `${problems.join(', ')}\n${describeRequest(op, request, answer)}` : undefined;
  }

  it(
    'answers every operation’s hostile requests with a 4xx problem, never a 5xx or a drop, and writes nothing',
    async () => {
      expect(operations.length).toBeGreaterThan(50);
      const recordsBefore = await records();
      const appendsBefore = appends();
      // The server runs in this process: a `__proto__` key that got through would show here.
      const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).join();
      let sent = 0;
      const started = Date.now();
      for (const op of operations) {
        const outcome = await fc.check(
          fc.asyncProperty(hostileRequest(op), async (request) => {
            sent++;
            const failure = await judge(op, request);
            if (failure) throw new Error(failure);
          }),
          { seed, numRuns: runsPerOperation, endOnFailure: true },
        );
        if (outcome.failed) {
          const message = (outcome.errorInstance as Error | undefined)?.message ?? String(outcome.errorInstance);
          throw new Error(`${op.method} ${op.path} (seed ${seed}, path ${outcome.counterexamplePath}):\n${message}`);
        }
      }
      expect(sent).toBeGreaterThanOrEqual(1000);
      expect(appends()).toBe(appendsBefore);
      expect(await records()).toBe(recordsBefore);
      expect(Object.getOwnPropertyNames(Object.prototype).join()).toBe(prototypeBefore);
      const tally = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ');
      console.info(`hostile input: ${sent} requests over ${operations.length} operations in ${Date.now() - started} ms (seed ${seed}): ${tally}`);
    },
    120_000,
  );
});
