import { childOf, parseTraceparent, serverSpan, SpanStatusCode, traceContextOf, tracingOn, withTrace, type AppEnv } from '@eventloom/core';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';

/**
 * The request's span: a child of the caller's `traceparent`, or the root of a new trace.
 * What the request stores records it. With telemetry on it is an OpenTelemetry server
 * span named by method and route; off, only its trace context is kept (so events still
 * record one, sampled or not).
 */
export const requestTrace: MiddlewareHandler<AppEnv> = (c, next) => {
  const parent = parseTraceparent(c.req.header('traceparent'));
  if (!tracingOn()) return withTrace(childOf(parent), next);
  const attributes = { 'http.request.method': c.req.method, 'url.path': c.req.path };
  return serverSpan(c.req.method, parent, attributes, async (span) => {
    try {
      await withTrace(traceContextOf(span), next);
    } finally {
      const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path;
      if (route) {
        span.updateName(`${c.req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', c.res.status);
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
  });
};
