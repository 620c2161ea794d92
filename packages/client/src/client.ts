/**
 * The gateway's typed client: openapi-fetch over the types generated from
 * /openapi.json, signed in with a bearer token; every refusal is thrown as a
 * ProblemError, so a call that resolves has its 2xx body.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './gateway-types.ts';
import { ProblemError } from './problem.ts';

export type Fetch = (request: Request) => Promise<Response>;

export interface GatewayClientOptions {
  /** Where the gateway answers, e.g. http://127.0.0.1:8787. */
  baseUrl: string;
  /** A bearer token (a JWT from POST /auth/token, or a consumer key). */
  token?: string;
  /** Another fetch, e.g. an in-process Hono app's `request` in tests. */
  fetch?: Fetch;
}

export type Principal = components['schemas']['Principal'];

/** The gateway could not be reached at all (refused, DNS, reset). */
export class GatewayUnreachable extends Error {
  constructor(baseUrl: string, cause: unknown) {
    const code = (cause as { cause?: { code?: string } }).cause?.code;
    super(`cannot reach the gateway at ${baseUrl}${code ? ` (${code})` : ''}; is it running (./eventloom up)?`, { cause });
    this.name = 'GatewayUnreachable';
  }
}

export class GatewayClient {
  /** Typed calls: `client.api.POST('/api/banking/accounts/{customer}/{bank}/deposits', { params, body })`. */
  readonly api: Client<paths>;
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer …` unless a call sets its own. */
  token: string | undefined;

  constructor(options: GatewayClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    const fetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
    this.api = createClient<paths>({ baseUrl: this.baseUrl, fetch });
    this.api.use(this.middleware());
  }

  /** Signs in with a local account; later calls carry its token. */
  async signIn(username: string, password: string): Promise<Principal> {
    const { token, principal } = await body(this.api.POST('/auth/token', { body: { username, password } }));
    this.token = token;
    return principal;
  }

  /** One of the gateway's own documents, which /openapi.json does not describe (it would describe itself). */
  async document(path: '/openapi.json' | '/asyncapi.json'): Promise<unknown> {
    return body(this.api.GET(path as never));
  }

  private middleware(): Middleware {
    return {
      onRequest: ({ request }) => {
        if (this.token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${this.token}`);
        if (!request.headers.has('accept')) request.headers.set('accept', 'application/json, application/problem+json');
        return request;
      },
      onResponse: async ({ response }) => {
        if (!response.ok) throw await ProblemError.of(response);
        return undefined;
      },
      onError: ({ error, request }) => (request.signal.aborted && error instanceof Error ? error : new GatewayUnreachable(this.baseUrl, error)),
    };
  }
}

/**
 * The body of a call that succeeded (a refusal has thrown its ProblemError):
 * `const balance = await body(client.api.GET('/api/banking/customers/{customer}/balance', …))`.
 */
export async function body<T>(call: Promise<{ data?: T; response: Response }>): Promise<T> {
  const { data } = await call;
  return data as T;
}
