import banking from '@eventloom/banking-context';
import { createRuntime, type ContextDefinition, type Principal, type Runtime } from '@eventloom/core';
import { testConfig, testHost } from '@eventloom/core/testing';
import orders, { closeCategoryCache } from '@eventloom/orders-context';
import { reportingContext, type AlertRules } from '../src/index.ts';

/** Who calls: the reporting test principals plus an owner at every bank (for the banking story). */
export const callers = {
  admin: { sub: 'admin', role: 'admin' },
  republicOwner: { sub: 'owner.republic', role: 'owner', bank: 'Republic Bank' },
  scotiaOwner: { sub: 'owner.scotia', role: 'owner', bank: 'Scotia Bank' },
  firstCitizensOwner: { sub: 'owner.firstcitizens', role: 'owner', bank: 'First Citizens' },
  consumer: { sub: 'consumer.demo', role: 'consumer', contexts: ['*'] },
  reportingOnly: { sub: 'consumer.reports', role: 'consumer', contexts: ['reporting'] },
  reportingAndOrders: { sub: 'consumer.shop', role: 'consumer', contexts: ['reporting', 'orders'] },
} satisfies Record<string, Principal>;
export type Caller = keyof typeof callers;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds (views are eventually consistent). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Orders, banking and reporting on one real runtime (the test run's Azurite and
 * Redis), each context's routes mounted at `/api/{name}` as the gateway mounts them.
 * The bearer token is a caller's name (the gateway's own auth is tested in
 * apps/gateway; importing the gateway here would make a package cycle). Orders and
 * banking are used only through their plugins and HTTP APIs.
 */
export async function reportingStack(name: string, rules: AlertRules) {
  const reporting = reportingContext({ alertRules: rules });
  const contexts: ContextDefinition[] = [orders, banking, reporting];
  const runtime = await createRuntime({ contexts, config: testConfig({ name, LOG_LEVEL: 'silent' }) });
  const { request } = testHost(runtime, contexts, callers);

  return {
    runtime,
    reporting: runtime.context('reporting'),
    get: (path: string, as: Caller | null = 'admin') => request('GET', path, { as }),
    post: (path: string, body: unknown, as: Caller | null = 'admin', headers: Record<string, string> = {}) => request('POST', path, { as, body, headers }),
    close: async () => {
      await closeCategoryCache(runtime.context('orders'));
      await runtime.close();
    },
  } satisfies Record<string, unknown> & { runtime: Runtime };
}

export type Stack = Awaited<ReturnType<typeof reportingStack>>;
