import { availableParallelism, loadavg } from 'node:os';
import { createRuntime, type CoreConfig, type Runtime } from '@eventloom/core';
import { testConfig, testHost, type TestRequest } from '@eventloom/core/testing';
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
  const { app, request: send } = testHost(runtime, [orders], principals);
  const request = (method: string, path: string, options: TestRequest = {}) => send(method, `/api/orders${path}`, options);

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
