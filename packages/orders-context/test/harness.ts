import { availableParallelism, loadavg } from 'node:os';
import { contextApp, createRuntime, ProblemError, problems, type CoreConfig, type Principal, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing';
import { HTTPException } from 'hono/http-exception';
import orders from '../src/index.ts';
import { closeCategoryCache } from '../src/category-cache/for-runtime.ts';
import { principals } from '../src/testing.ts';

export type Caller = keyof typeof principals;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A latency bound to assert: the required one, or five times it when the machine is
 * far busier than it has cores (the whole suite runs in parallel on two cores, and
 * other work may share them); a starved event loop is not what such a test is about.
 */
export function latencyBudget(requiredMs: number): number {
  return loadavg()[0]! > availableParallelism() * 2 ? requiredMs * 5 : requiredMs;
}

/** Polls until `check` holds (views are eventually consistent). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * The orders sub-app mounted as the gateway mounts it (`/api/orders`), on a real
 * runtime (Azurite + Redis of the test run), with the demo catalog seeded and in
 * its views. The bearer token is the name of a test principal (the gateway's own
 * auth is tested in apps/gateway).
 */
export async function ordersApi(name: string, options: { config?: CoreConfig } = {}) {
  const config = options.config ?? testConfig({ name, LOG_LEVEL: 'silent' });
  const runtime = await createRuntime({ contexts: [orders], config });
  const context = runtime.context('orders');
  await runtime.seed();
  await eventually('the seeded catalog in the views', async () => (await context.views.get('Movies', 'movie', '0000520')) !== undefined, 30_000);
  const app = contextApp();
  app.use(async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const principal = (principals as Record<string, Principal>)[header.replace(/^Bearer\s+/i, '')];
      if (!principal) throw problems.unauthorized('The token is not valid; sign in again.');
      c.set('principal', principal);
    }
    await next();
  });
  const sub = contextApp();
  orders.routes(sub, context);
  app.route('/api/orders', sub);
  app.onError((error, c) => {
    const problem =
      error instanceof ProblemError
        ? error.problem
        : error instanceof HTTPException && error.status === 400
          ? problems.malformed(error.message || 'The body could not be read.').problem
          : error instanceof HTTPException
            ? { type: 'https://eventloom.dev/problems/http', title: error.message, status: error.status }
            : { type: 'https://eventloom.dev/problems/internal', title: 'Internal server error', status: 500, detail: String(error) };
    return c.body(JSON.stringify({ ...problem, instance: c.req.path }), problem.status as 400, { 'Content-Type': 'application/problem+json' });
  });

  const request = async (method: string, path: string, options: { as?: Caller | null; body?: unknown; headers?: Record<string, string> } = {}) => {
    const response = await app.request(`/api/orders${path}`, {
      method,
      headers: {
        ...(options.as ? { Authorization: `Bearer ${options.as}` } : {}),
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    // biome-ignore lint: test responses are inspected loosely
    const body = (text ? JSON.parse(text) : undefined) as any;
    return { status: response.status, body, headers: response.headers };
  };

  return {
    app,
    config,
    runtime,
    context,
    get: (path: string, as: Caller | null = 'admin') => request('GET', path, { as }),
    post: (path: string, body: unknown, as: Caller | null = 'admin', headers: Record<string, string> = {}) => request('POST', path, { as, body, headers }),
    patch: (path: string, body: unknown, as: Caller | null = 'admin') => request('PATCH', path, { as, body }),
    delete: (path: string, as: Caller | null = 'admin') => request('DELETE', path, { as }),
    async close() {
      await closeCategoryCache(context);
      await runtime.close();
    },
  } satisfies Record<string, unknown> & { runtime: Runtime };
}
