import { ProblemError, problemBase, problems, type AppEnv, type Problem } from '@eventloom/core';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';

/** Writes an RFC 7807 problem with `instance` = the request path. */
export function problemResponse(c: Context, problem: Problem): Response {
  const body = { ...problem, instance: problem.instance ?? c.req.path };
  return c.body(JSON.stringify(body), problem.status as ContentfulStatusCode, {
    'Content-Type': 'application/problem+json',
    // A body refused for its size was not read to its end: what is left of it would be
    // taken for the next request on this connection. Close it; the client opens another.
    ...(problem.status === 413 ? { Connection: 'close' } : {}),
    ...(typeof problem.retryAfterSeconds === 'number' ? { 'Retry-After': String(problem.retryAfterSeconds) } : {}),
    ...(typeof problem.acceptEncoding === 'string' ? { 'Accept-Encoding': problem.acceptEncoding } : {}),
  });
}

/** Hono's own exceptions (validator, body limit, media type gate) as problems. */
function fromHttpException(error: HTTPException): Problem {
  switch (error.status) {
    case 400:
      // The JSON validator throws this for a body that does not parse.
      return problems.malformed(error.message || 'The request body could not be read.').problem;
    case 401:
      return problems.unauthorized().problem;
    case 403:
      return problems.forbidden(error.message || 'Not allowed.').problem;
    case 404:
      return problems.notFound(error.message || 'Nothing here.').problem;
    case 415:
      return {
        type: `${problemBase}unsupported-media-type`,
        title: 'Unsupported media type',
        status: 415,
        detail: 'Send the body as application/json.',
      };
    default:
      return {
        type: `${problemBase}http-${error.status}`,
        title: error.message || 'Request failed',
        status: error.status,
        ...(error.message ? { detail: error.message } : {}),
      };
  }
}

const networkCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * A dependency that was busy or did not answer, as the Azure SDKs and Node report it:
 * Azure's 408/429/5xx (503 ServerBusy when a partition or the account is over its
 * target), or a connection that failed. The caller may retry: it is a 503, not our bug.
 */
function dependencyUnavailable(error: Error): boolean {
  const { name, statusCode, code } = error as Error & { statusCode?: number; code?: string };
  if (name === 'RestError' && statusCode !== undefined) return statusCode === 408 || statusCode === 429 || statusCode >= 500;
  return code !== undefined && networkCodes.has(code);
}

/** The gateway's one error handler: every failure leaves as problem JSON. */
export function onError(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    if (error instanceof ProblemError) return problemResponse(c, error.problem);
    if (error instanceof HTTPException) return problemResponse(c, fromHttpException(error));
    if (dependencyUnavailable(error)) {
      logger.warn({ err: error.message, requestId: c.get('requestId'), method: c.req.method, path: c.req.path }, 'a dependency did not answer; 503');
      return problemResponse(
        c,
        problems.unavailable('Storage did not answer in time. A command may or may not have been applied: send it again with the same Idempotency-Key.', 2).problem,
      );
    }
    logger.error({ err: error, requestId: c.get('requestId'), method: c.req.method, path: c.req.path }, 'request failed');
    return problemResponse(c, {
      type: `${problemBase}internal`,
      title: 'Internal server error',
      status: 500,
      detail: `Something went wrong on our side; quote request id ${c.get('requestId') ?? '(none)'} when reporting it.`,
    });
  };
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  problemResponse(c, problems.notFound(`There is no ${c.req.method} ${c.req.path}.`).problem);
