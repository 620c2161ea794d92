import { problems, type AppEnv } from '@eventloom/core';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Auth } from './auth.ts';

/** Browsers carry the token in this cookie (set by `POST /auth/token`). */
export const tokenCookie = 'eventloom_token';

export interface AuthenticateOptions {
  /**
   * GET paths that also accept `?access_token=`: EventSource cannot set headers.
   * Kept to a short list because tokens in URLs end up in proxies' logs.
   */
  queryTokenPaths?: string[];
}

/**
 * Sets `principal` from a verified token; never refuses a request for lacking one
 * (routes declare their roles and `requireRole` refuses). A bad bearer token is a
 * 401 at once: the caller asked to be someone and is not. A stale cookie is only
 * ignored, so a browser with an expired session can still reach the sign-in route;
 * on writes the cookie counts only from this origin (see cookieAllowed).
 */
export function authenticate(auth: Auth, options: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  const queryTokenPaths = new Set(options.queryTokenPaths ?? []);
  return async (c, next) => {
    const header = c.req.header('authorization');
    const queryToken = c.req.method === 'GET' && queryTokenPaths.has(c.req.path) ? c.req.query('access_token') : undefined;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match?.[1]) throw problems.unauthorized('The Authorization header must be "Bearer <token>".');
      c.set('principal', await verifyOrRefuse(auth, match[1]));
    } else if (queryToken !== undefined) {
      c.set('principal', await verifyOrRefuse(auth, queryToken));
    } else if (cookieAllowed(c.req.method, c.req.header('origin'), c.req.header('sec-fetch-site'), c.req.url)) {
      const cookie = getCookie(c, tokenCookie);
      if (cookie) {
        const principal = await auth.verify(cookie).catch(() => undefined);
        if (principal) c.set('principal', principal);
      }
    }
    await next();
  };
}

/**
 * The cookie is what a browser sends by itself, so it stands for the user only where a
 * browser needs it: reads (EventSource cannot set headers) and writes from a page of this
 * very origin. A write carrying the cookie from another site (a form on evil.example
 * posting here) or with no Origin at all is treated as anonymous; programs send a bearer.
 */
function cookieAllowed(method: string, origin: string | undefined, fetchSite: string | undefined, url: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return false;
  if (origin === undefined) return false;
  try {
    return new URL(origin).origin === new URL(url).origin;
  } catch {
    return false;
  }
}

async function verifyOrRefuse(auth: Auth, token: string) {
  try {
    return await auth.verify(token);
  } catch (error) {
    const expired = (error as { code?: string }).code === 'ERR_JWT_EXPIRED';
    throw problems.unauthorized(expired ? 'The token has expired; sign in again.' : 'The token is not valid; sign in again.');
  }
}
