import { contextApp, defineContext, defineRoute } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { expectProblem, testGateway } from './test-gateway.ts';
import { testContext } from './test-context.ts';

const post = (body: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body,
});

describe('bad requests become problem JSON', () => {
  it('answers malformed JSON with 400 malformed', async () => {
    const { app, bearer } = await testGateway();
    const problem = await expectProblem(await app.request('/api/tally/increments', post('{"by": ', bearer('owner'))), 400);
    expect(problem.type).toMatch(/malformed$/);
    expect(problem.instance).toBe('/api/tally/increments');
  });

  it('answers wrong types, missing fields and unknown fields with 400 validation naming the field', async () => {
    const { app, bearer } = await testGateway();
    const cases: Array<[string, string]> = [
      ['{"by": "three"}', 'by'],
      ['{}', 'by'],
      ['{"by": 1, "extra": true}', 'extra'],
    ];
    for (const [body, field] of cases) {
      const problem = (await expectProblem(await app.request('/api/tally/increments', post(body, bearer('owner'))), 400)) as {
        type: string;
        errors?: Record<string, string[]>;
      };
      expect(problem.type, body).toMatch(/validation$/);
      expect(Object.keys(problem.errors ?? {}), body).toContain(field);
    }
  });

  it('answers a body over the limit with 413', async () => {
    const { app, bearer } = await testGateway({ bodyLimit: 2048 });
    const body = JSON.stringify({ by: 1, padding: 'x'.repeat(4096) });
    await expectProblem(await app.request('/api/tally/increments', post(body, bearer('owner'))), 413);
  });

  it('lets a context raise the limit for a route it names, and only that route', async () => {
    const roomy = { ...testContext, bodyLimits: { '/increments': 16 * 1024 } };
    const { app, bearer } = await testGateway({ bodyLimit: 2048, contexts: [roomy] });
    const body = JSON.stringify({ by: 1, padding: 'x'.repeat(4096) });
    const response = await app.request('/api/tally/increments', post(body, bearer('owner')));
    expect(response.status, 'a 4 KiB body passes the 16 KiB route limit and reaches validation').toBe(400);
    expect(((await response.json()) as { type: string }).type).toMatch(/validation$/);
    await expectProblem(await app.request('/api/tally/increments', post(JSON.stringify({ padding: 'x'.repeat(20_000) }), bearer('owner'))), 413);
  });

  it('refuses prototype keys at any depth, a field named like an Object method is only an unknown field', async () => {
    const { app, bearer } = await testGateway();
    for (const body of ['{"__proto__":{"by":1}}', '{"by":1,"nested":{"constructor":{"prototype":{"x":1}}}}']) {
      const problem = await expectProblem(await app.request('/api/tally/increments', post(body, bearer('owner'))), 400);
      expect(problem.type, body).toMatch(/validation$/);
    }
    const named = (await expectProblem(await app.request('/api/tally/increments', post('{"by":1,"constructor":1,"toString":2}', bearer('owner'))), 400)) as unknown as { errors: Record<string, string[]> };
    expect(Object.keys(named.errors).sort()).toEqual(['constructor', 'toString']);
  });

  it('answers a body over the limit with 413 when it is streamed without a length', async () => {
    const { app, bearer } = await testGateway({ bodyLimit: 2048 });
    const chunks = new TextEncoder().encode(JSON.stringify({ by: 1, padding: 'x'.repeat(4096) }));
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(chunks);
        controller.close();
      },
    });
    const request = new Request('http://gateway/api/tally/increments', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...bearer('owner') },
      body,
      duplex: 'half',
    } as RequestInit);
    await expectProblem(await app.request(request), 413);
  });

  it('answers a body that is not JSON with 415', async () => {
    const { app, bearer } = await testGateway();
    const response = await app.request('/api/tally/increments', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', ...bearer('owner') },
      body: 'by=1',
    });
    await expectProblem(response, 415);
  });

  it('answers an unknown path with 404', async () => {
    const { app } = await testGateway();
    const problem = await expectProblem(await app.request('/nowhere'), 404);
    expect(problem.instance).toBe('/nowhere');
  });

  it('answers an unexpected error with a generic 500 that does not leak the message', async () => {
    const boom = defineRoute({ method: 'get', path: '/boom', roles: 'public', responses: { 200: { description: 'never' } } });
    const broken = defineContext({
      name: 'broken',
      events: [],
      aggregates: [],
      projections: [],
      routes: (app) => {
        app.openapi(boom, () => {
          throw new Error('secret connection string');
        });
      },
    });
    const { app } = await testGateway({ contexts: [testContext, broken] });
    const response = await app.request('/api/broken/boom');
    const problem = (await expectProblem(response, 500)) as { detail?: string };
    expect(problem.detail).not.toContain('secret');
    expect(problem.detail).toContain(response.headers.get('x-request-id'));
  });

  it.each([
    ['storage answered 503 ServerBusy', Object.assign(new Error('The server is currently unable to receive requests.'), { name: 'RestError', statusCode: 503, details: { errorCode: 'ServerBusy' } })],
    ['storage timed out', Object.assign(new Error('socket hang up'), { name: 'RestError', code: 'ECONNRESET' })],
    ['the connection to storage was refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10002'), { code: 'ECONNREFUSED' })],
  ])('answers a dependency that is busy or gone (%s) with 503 and Retry-After, not 500', async (_what, failure) => {
    const { app, runtime, bearer } = await testGateway();
    runtime.context('tally').execute = async () => {
      throw failure;
    };
    const response = await app.request('/api/tally/increments', { method: 'POST', headers: { ...bearer('admin'), 'Content-Type': 'application/json' }, body: JSON.stringify({ by: 1 }) });
    const problem = (await expectProblem(response, 503)) as { detail?: string };
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(problem.detail).toMatch(/Idempotency-Key/);
  });

  it('echoes a request id, or makes one', async () => {
    const { app } = await testGateway();
    expect((await app.request('/health', { headers: { 'X-Request-Id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
    expect((await app.request('/health')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await app.request('/nowhere')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps contextApp validation failures as problems when mounted (no 500s)', async () => {
    expect(contextApp()).toBeDefined();
    const { app, bearer } = await testGateway();
    const response = await app.request('/api/tally/increments', post('[1,2]', bearer('admin')));
    await expectProblem(response, 400);
  });
});
