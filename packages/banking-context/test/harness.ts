import { TableClient } from '@azure/data-tables';
import { createRuntime, type CoreConfig, type Runtime } from '@eventloom/core';
import { testConfig, testHost, type TestRequest } from '@eventloom/core/testing';
import banking from '../src/index.ts';
import { principals } from '../src/testing.ts';

export type Caller = keyof typeof principals;

/** The banking API on a real runtime (Azurite + Redis of the test run); see core's `testHost`. */
export async function bankingApi(name: string) {
  const config = testConfig({ name, LOG_LEVEL: 'silent' });
  const runtime = await createRuntime({ contexts: [banking], config });
  const { app, request: send } = testHost(runtime, [banking], principals);
  const request = (method: string, path: string, options: TestRequest = {}) => send(method, `/api/banking${path}`, options);

  return {
    app,
    runtime,
    context: runtime.context('banking'),
    get: (path: string, as: Caller = 'admin') => request('GET', path, { as }),
    /** `as: null` sends no token. */
    post: (path: string, body: unknown, as: Caller | null = 'admin', headers: Record<string, string> = {}) =>
      request('POST', path, { ...(as ? { as } : {}), body, headers }),
    /** Event rows in the context's store: proves that a refused command wrote nothing. */
    storedEvents: () => countEvents(config),
    close: () => runtime.close(),
  } satisfies Record<string, unknown> & { runtime: Runtime };
}

async function countEvents(config: CoreConfig): Promise<number> {
  // The store's physical table (prefix + context + Events); event rows are keyed by a 10-digit version.
  const table = TableClient.fromConnectionString(config.AZURE_STORAGE_CONNECTION_STRING, `${config.EVENTLOOM_PREFIX}bankingEvents`, {
    allowInsecureConnection: true,
  });
  let count = 0;
  for await (const row of table.listEntities({ queryOptions: { select: ['RowKey'] } })) if (/^\d{10}$/.test(row.rowKey!)) count++;
  return count;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds (views are eventually consistent). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
