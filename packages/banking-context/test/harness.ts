import { TableClient } from '@azure/data-tables';
import { contextApp, createRuntime, ProblemError, problems, type CoreConfig, type Principal, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing';
import { HTTPException } from 'hono/http-exception';
import banking from '../src/index.ts';
import { principals } from '../src/testing.ts';

export type Caller = keyof typeof principals;

/**
 * The banking sub-app mounted as the gateway mounts it (`/api/banking`), on a real
 * runtime (Azurite + Redis of the test run). Authentication is a stand-in: the
 * bearer token is the name of a test principal. (The gateway's own auth is tested
 * in apps/gateway; importing the gateway here would make a package cycle.)
 */
export async function bankingApi(name: string) {
  const config = testConfig({ name, LOG_LEVEL: 'silent' });
  const runtime = await createRuntime({ contexts: [banking], config });
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
  banking.routes(sub, runtime.context('banking'));
  app.route('/api/banking', sub);
  app.onError((error, c) => {
    const problem =
      error instanceof ProblemError
        ? error.problem
        : error instanceof HTTPException && error.status === 400
          ? problems.malformed(error.message || 'The body could not be read.').problem
          : { type: 'https://eventloom.dev/problems/internal', title: 'Internal server error', status: 500, detail: String(error) };
    return c.body(JSON.stringify({ ...problem, instance: c.req.path }), problem.status as 400, { 'Content-Type': 'application/problem+json' });
  });

  const request = async (method: string, path: string, options: { as?: Caller; body?: unknown; headers?: Record<string, string> } = {}) => {
    const response = await app.request(`/api/banking${path}`, {
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
