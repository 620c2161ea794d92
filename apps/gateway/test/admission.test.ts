import { defineContext, defineRoute } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { expectProblem, testGateway } from './test-gateway.ts';

/** A context whose one route waits until the test lets it go, so requests pile up. */
function gatedContext() {
  const waiting: Array<() => void> = [];
  let started = 0;
  const slow = defineRoute({
    method: 'get',
    path: '/slow',
    summary: 'Waits for the test',
    roles: 'public',
    responses: { 200: { description: 'Done', content: { 'application/json': { schema: z.object({ n: z.number() }) } } } },
  });
  const context = defineContext({
    name: 'gate',
    events: [],
    aggregates: [],
    projections: [],
    routes: (app) => {
      app.openapi(slow, async (c) => {
        const n = ++started;
        await new Promise<void>((resolve) => waiting.push(resolve));
        return c.json({ n }, 200);
      });
    },
  });
  return {
    context,
    get started() {
      return started;
    },
    release: () => waiting.splice(0).forEach((resolve) => resolve()),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

async function metric(app: { request: (path: string) => Response | Promise<Response> }, name: string): Promise<string[]> {
  return (await (await app.request('/metrics')).text()).split('\n').filter((line) => line.startsWith(name));
}

describe('admission control: a bounded amount of work at once, 503 with Retry-After beyond the queue', () => {
  it('works on at most maxInFlight requests, queues the next ones in order, refuses past the queue, and keeps /health answering', async () => {
    const gate = gatedContext();
    const { app } = await testGateway({ contexts: [gate.context], admission: { maxInFlight: 2, maxQueued: 2 } });
    const admitted = Array.from({ length: 4 }, () => app.request('/api/gate/slow'));
    await tick();
    expect(gate.started).toBe(2);
    const refused = await app.request('/api/gate/slow');
    await expectProblem(refused, 503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await app.request('/health')).status).toBe(200);
    expect(await metric(app, 'eventloom_http_requests_in_flight')).toEqual(['eventloom_http_requests_in_flight{state="active"} 2', 'eventloom_http_requests_in_flight{state="queued"} 2']);
    gate.release();
    await tick();
    expect(gate.started).toBe(4);
    gate.release();
    const answers = await Promise.all(admitted);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(await Promise.all(answers.map(async (a) => ((await a.json()) as { n: number }).n))).toEqual([1, 2, 3, 4]);
    expect(await metric(app, 'eventloom_overload_refusals_total')).toContain('eventloom_overload_refusals_total{reason="queue-full"} 1');
  });

  it('answers 503 instead of starting a request that waited past maxQueueMs', async () => {
    const gate = gatedContext();
    const { app } = await testGateway({ contexts: [gate.context], admission: { maxInFlight: 1, maxQueued: 10, maxQueueMs: 20 } });
    const first = app.request('/api/gate/slow');
    const late = app.request('/api/gate/slow');
    await new Promise((resolve) => setTimeout(resolve, 60));
    gate.release();
    expect((await first).status).toBe(200);
    await expectProblem(await late, 503);
    expect(gate.started).toBe(1);
  });
});
