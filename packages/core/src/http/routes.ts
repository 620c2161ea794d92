import { OpenAPIHono, createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
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
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw problems.validation(issuesToErrors(result.error.issues));
    },
  });
}

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
 * Every `/api` route states who may call it. `roles: 'public'` is explicit, never a
 * default; the gateway's tests walk the OpenAPI document and prove each refusal.
 */
export function defineRoute<const R extends RouteConfig>(config: R & { roles: Role[] | 'public' }): R {
  const { roles, ...route } = config;
  const guard = roles === 'public' ? [] : [requireRole(...roles)];
  const existing = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
  return createRoute({
    ...route,
    middleware: [...guard, ...existing] as MiddlewareHandler[],
    security: roles === 'public' ? [] : [{ bearer: roles }],
    'x-roles': roles,
  } as unknown as R) as R;
}
