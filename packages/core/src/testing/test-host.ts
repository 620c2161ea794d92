import { HTTPException } from 'hono/http-exception';
import type { Principal } from '../auth/principal.ts';
import type { ContextDefinition } from '../context/define-context.ts';
import { ProblemError, problemBase, problems, type Problem } from '../http/problem.ts';
import { contextApp, identityBodiesOnly, noPrototypeKeys } from '../http/routes.ts';
import type { Runtime } from '../runtime.ts';

export interface TestResponse {
  status: number;
  // biome-ignore lint: test responses are inspected loosely
  body: any;
  headers: Headers;
}

export interface TestRequest {
  /** The name of a test principal, sent as the bearer token; `null` or absent sends none. */
  as?: string | null;
  /** JSON-encoded unless it is already a string (malformed-body tests send strings). */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Contexts' sub-apps mounted as the gateway mounts them (`/api/{name}`) on a real
 * runtime, for a context package's API tests. Authentication is a stand-in: the bearer
 * token is the name of a test principal (the gateway's own auth is tested in
 * apps/gateway, which a context package cannot import without a cycle). Errors become
 * problem JSON as in the gateway.
 */
export function testHost(runtime: Runtime, contexts: ContextDefinition[], principals: Record<string, Principal>) {
  const app = contextApp();
  app.use(identityBodiesOnly);
  app.use(noPrototypeKeys);
  app.use(async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const principal = principals[header.replace(/^Bearer\s+/i, '')];
      if (!principal) throw problems.unauthorized('The token is not valid; sign in again.');
      c.set('principal', principal);
    }
    await next();
  });
  for (const context of contexts) {
    const sub = contextApp();
    context.routes?.(sub, runtime.context(context.name));
    app.route(`/api/${context.name}`, sub);
  }
  app.onError((error, c) => {
    const problem: Problem =
      error instanceof ProblemError
        ? error.problem
        : error instanceof HTTPException && error.status === 400
          ? problems.malformed(error.message || 'The body could not be read.').problem
          : error instanceof HTTPException
            ? { type: `${problemBase}http`, title: error.message, status: error.status }
            : { type: `${problemBase}internal`, title: 'Internal server error', status: 500, detail: String(error) };
    return c.body(JSON.stringify({ ...problem, instance: c.req.path }), problem.status as 400, { 'Content-Type': 'application/problem+json' });
  });

  const request = async (method: string, path: string, options: TestRequest = {}): Promise<TestResponse> => {
    const response = await app.request(path, {
      method,
      headers: {
        ...(options.as ? { Authorization: `Bearer ${options.as}` } : {}),
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('json');
    return { status: response.status, body: json && text ? JSON.parse(text) : text || undefined, headers: response.headers };
  };

  return { app, request };
}
