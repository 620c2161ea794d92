import { OpenAPIHono, createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import sjson from 'secure-json-parse';
import type { Principal, Role } from '../auth/principal.ts';
import { issuesToErrors, problems } from './problem.ts';

/** Variables every request carries through the gateway. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** Absent when no valid token was sent. */
    principal?: Principal;
  };
}

/** A context's sub-app: zod-validated routes whose failures become problem JSON. */
export function contextApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw problems.validation(issuesToErrors(result.error.issues));
    },
  });
  return app;
}

const jsonType = /^application\/([\w.-]+\+)?(json|x-ndjson)\b/i;
const suspicious = /"(?:__proto__|constructor)"\s*:/;

/**
 * A JSON body naming `__proto__`, or `constructor` with a `prototype`, at any depth is
 * refused before any handler sees it (prototype poisoning): plain JSON.parse keeps such
 * keys, and code that copies or spreads the object may then change what every object
 * inherits. Only bodies that contain such a key at all are looked at twice. A host
 * installs it after its body size limit, so nothing oversized is read first.
 */
export const noPrototypeKeys: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header('content-type');
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && type && jsonType.test(type)) {
    const text = await c.req.text();
    if (suspicious.test(text)) {
      const lines = /x-ndjson/i.test(type) ? text.split('\n').filter((line) => line.trim() !== '') : [text];
      for (const line of lines) {
        try {
          sjson.parse(line, undefined, { protoAction: 'error', constructorAction: 'error' });
        } catch (error) {
          if (/prototype/i.test((error as Error).message)) {
            throw problems.validation({ body: ['a key named __proto__, or constructor holding a prototype, is not allowed'] });
          }
          // Malformed JSON: the route's own parsing answers it.
        }
      }
    }
  }
  await next();
};

/**
 * Bodies come uncompressed: a `Content-Encoding` other than identity is refused with 415
 * (and `Accept-Encoding: identity`) before anything reads the body, instead of parsing
 * compressed bytes as JSON or, worse, plain JSON that claims to be compressed.
 */
export const identityBodiesOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const encoding = c.req.header('content-encoding');
  if (encoding !== undefined && encoding.split(',').some((coding) => !/^\s*(identity)?\s*$/i.test(coding))) {
    throw problems.unsupportedEncoding(encoding);
  }
  await next();
};

/** Refuses with 401 when nobody is signed in and 403 when the role does not fit. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!principal) throw problems.unauthorized();
    if (!roles.includes(principal.role)) {
      throw problems.forbidden(`This needs the role ${roles.join(' or ')}; you are ${principal.role}.`);
    }
    await next();
  };
}

/**
 * A consumer key reads a context's routes only when scoped to it; a route that serves
 * data derived from other contexts' events needs their scopes too (`reveals`), or the
 * key would read what those contexts publish only behind their own scope.
 */
export function requireScopes(contexts: readonly string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (principal?.role === 'consumer') {
      const allowed = principal.contexts ?? [];
      const missing = allowed.includes('*') ? [] : contexts.filter((context) => !allowed.includes(context));
      if (missing.length > 0) throw problems.forbidden(`This serves data of the ${missing.join(', ')} context${missing.length > 1 ? 's' : ''}; your key is not scoped to ${missing.length > 1 ? 'them' : 'it'}.`);
    }
    await next();
  };
}

/**
 * Every `/api` route states who may call it. `roles: 'public'` is explicit, never a
 * default; the gateway's tests walk the OpenAPI document and prove each refusal.
 * `reveals` names the other contexts whose data the route serves (see requireScopes).
 */
export function defineRoute<const R extends RouteConfig>(config: R & { roles: Role[] | 'public'; reveals?: readonly string[] }): R {
  const { roles, reveals, ...route } = config;
  const guard = roles === 'public' ? [] : [requireRole(...roles)];
  if (reveals && reveals.length > 0) guard.push(requireScopes(reveals));
  const existing = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
  return createRoute({
    ...route,
    middleware: [...guard, ...existing] as MiddlewareHandler[],
    security: roles === 'public' ? [] : [{ bearer: roles }],
    'x-roles': roles,
    ...(reveals && reveals.length > 0 ? { 'x-reveals': reveals } : {}),
  } as unknown as R) as R;
}
