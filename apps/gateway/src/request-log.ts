import type { AppEnv } from '@eventloom/core';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';

/** One log line per request: method, path, status, ms, requestId. */
export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const line = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(c.get('principal') ? { sub: c.get('principal')?.sub } : {}),
    };
    if (status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
  };
}
