import banking from '@eventloom/banking-context';
import counter from '@eventloom/counter-context';
import orders from '@eventloom/orders-context';
import reporting from '@eventloom/reporting-context';
import { describe, expect, it } from 'vitest';
import { httpDurationName } from '../src/metrics.ts';
import { testGateway } from './test-gateway.ts';

describe('health, metrics and the API document', () => {
  it('answers /health with 200 when the runtime is healthy and 503 once a probe finds it is not', async () => {
    let now = 0;
    const { app, runtime } = await testGateway({ health: { freshMs: 1_000, now: () => now } });
    expect((await app.request('/health')).status).toBe(200);
    runtime.healthResult = { ok: false, storage: { ok: false, error: 'ECONNREFUSED' }, redis: { ok: true, mode: 'redis' } };
    // Within a second the last probe answers; after it, the next answer starts a probe.
    now = 500;
    expect(await (await app.request('/health')).json()).toMatchObject({ ok: true, ageMs: 500 });
    now = 1_500;
    await app.request('/health');
    const response = await app.request('/health');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ok: false, storage: { error: 'ECONNREFUSED' }, ageMs: 0 });
  });

  it('answers /health with 503 when the check itself throws', async () => {
    const { app, runtime } = await testGateway();
    runtime.health = async () => {
      throw new Error('storage unreachable');
    };
    const response = await app.request('/health');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toMatchObject({ ok: false, storage: { ok: false, error: 'storage unreachable' } });
  });

  it('never keeps /health waiting on a slow probe while a recent answer exists, and runs one probe at a time', async () => {
    let now = 0;
    const { app, runtime } = await testGateway({ health: { freshMs: 1_000, staleMs: 10_000, now: () => now } });
    expect((await app.request('/health')).status).toBe(200);
    let probes = 0;
    let finish: () => void = () => undefined;
    runtime.health = () => {
      probes++;
      return new Promise((resolve) => (finish = () => resolve({ ok: false, storage: { ok: false, error: 'slow' }, redis: { ok: true, mode: 'redis' } })));
    };
    now = 2_000;
    // Fifty callers while storage hangs: each answered from the last probe, one probe started.
    const answers = await Promise.all(Array.from({ length: 50 }, () => app.request('/health')));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(probes).toBe(1);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect((await app.request('/health')).status).toBe(503);
    // Past staleMs nothing old is trusted: the answer waits for a new probe.
    now = 20_000;
    const waiting = app.request('/health');
    await new Promise((resolve) => setImmediate(resolve));
    expect(probes).toBe(2);
    runtime.health = async () => runtime.healthResult;
    finish();
    expect((await waiting).status).toBe(503);
  });

  it('exposes request durations by route pattern, appends and lag on /metrics', async () => {
    const { app, runtime, bearer } = await testGateway();
    runtime.countersResult = { appends: { tally: 3 }, appendedEvents: { tally: 5 } };
    runtime.statsResult = [
      { name: 'tally', feedHead: 10, relayLag: 2, projections: [{ name: 'totals', checkpoint: 7, lag: 3, lagSeconds: 4.5, stalled: true, state: 'live', deadLetters: 0 }] },
    ];
    await app.request('/api/tally/commands/cmd-42', { headers: bearer('admin') });
    const response = await app.request('/metrics');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain(`${httpDurationName}_bucket`);
    expect(text).toMatch(/route="\/api\/tally\/commands\/:commandId",status="404"/);
    expect(text).toContain('eventloom_appends_total{context="tally"} 3');
    expect(text).toContain('eventloom_appended_events_total{context="tally"} 5');
    expect(text).toContain('eventloom_relay_lag{context="tally"} 2');
    expect(text).toContain('eventloom_projection_lag{context="tally",projection="totals"} 3');
    expect(text).toContain('eventloom_projection_lag_seconds{context="tally",projection="totals"} 4.5');
    expect(text).toContain('eventloom_projection_stalled{context="tally",projection="totals"} 1');
  });

  it('still serves /metrics when the runtime cannot report stats', async () => {
    const { app, runtime } = await testGateway();
    runtime.stats = async () => {
      throw new Error('storage unreachable');
    };
    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(httpDurationName);
  });

  it('serves an OpenAPI 3.1 document with a bearer scheme and every route', async () => {
    const { app } = await testGateway();
    const response = await app.request('/openapi.json');
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/health', '/metrics', '/auth/token', '/auth/me', '/api/live', '/api/tally/increments', '/api/tally/commands/{commandId}']),
    );
  });

  it('documents each pattern as a bare regular expression that accepts what the route accepts (no /u or /i left from a regex literal)', async () => {
    const { app } = await testGateway({ contexts: [counter, banking, orders, reporting] });
    const document = (await (await app.request('/openapi.json')).json()) as {
      components: { schemas: { CategoryName: { properties: { name: { pattern: string } } } } };
      paths: Record<string, Record<string, { parameters: { name: string; schema: { pattern: string } }[] }>>;
    };
    const patterns: string[] = [];
    JSON.stringify(document, (key, value) => (key === 'pattern' && typeof value === 'string' ? void patterns.push(value) : value));
    expect(patterns.length).toBeGreaterThan(10);
    for (const pattern of patterns) expect(pattern, pattern).not.toMatch(/\/[dgimsuyv]+$/);
    const categoryName = new RegExp(document.components.schemas.CategoryName.properties.name.pattern, 'u');
    expect(categoryName.test('Film noir')).toBe(true);
    const alertId = document.paths['/api/reporting/alerts/{id}']!.get!.parameters.find((p) => p.name === 'id')!.schema.pattern;
    expect(new RegExp(alertId, 'u').test('0195A3C1-7E2B-7C4D-9A8B-1F2E3D4C5B6A')).toBe(true);
  });

  it('serves a /docs page that links the document and needs no CDN', async () => {
    const { app } = await testGateway();
    const html = await (await app.request('/docs')).text();
    expect(html).toContain('/openapi.json');
    expect(html).toContain('/api/tally/increments');
    expect(html).not.toMatch(/<script|https?:\/\/cdn/);
  });
});
