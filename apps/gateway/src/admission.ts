import { problems, type AppEnv } from '@eventloom/core';
import type { Context, MiddlewareHandler } from 'hono';
import pLimit from 'p-limit';
import { Counter, Gauge, type Registry } from 'prom-client';
import { holdsOpen } from './quotas.ts';

/** How much work the gateway takes on at once. Every figure is configurable. */
export interface AdmissionSettings {
  /** Requests worked on at once; the rest wait their turn, first come first served. */
  maxInFlight: number;
  /** Requests that may wait; beyond them the gateway answers 503 at once. */
  maxQueued: number;
  /** A request that waited longer is answered 503 when its turn comes (its client has likely given up). */
  maxQueueMs: number;
}

export const defaultAdmission: AdmissionSettings = { maxInFlight: 32, maxQueued: 2000, maxQueueMs: 10_000 };

/** Routes a supervisor or scraper must reach however busy the gateway is. */
const alwaysAdmitted = new Set(['/health', '/metrics', '/.well-known/jwks.json']);

/**
 * Admission control. Under a flood every request in flight competes for the same event
 * loop and the same storage account, and each gets slower the more there are; answering
 * more at once only makes all of them late, /health included. So at most `maxInFlight`
 * requests are worked on; the rest queue in order of arrival and cost nothing but a
 * socket while they wait. When the queue is full, or a request waited past
 * `maxQueueMs`, it is answered 503 with Retry-After, before anything is read or written,
 * so a client may retry it safely. Streams (SSE, long-polls) hold their connection for
 * minutes and are bounded by the stream quotas instead; /health and /metrics are never
 * queued.
 */
export function admission(registry: Registry, settings: Partial<AdmissionSettings> = {}): MiddlewareHandler<AppEnv> {
  const { maxInFlight, maxQueued, maxQueueMs } = { ...defaultAdmission, ...settings };
  const limit = pLimit(maxInFlight);
  const refusals = new Counter({ name: 'eventloom_overload_refusals_total', help: 'Requests answered 503 because the gateway was busy, by reason', labelNames: ['reason'], registers: [registry] });
  new Gauge({
    name: 'eventloom_http_requests_in_flight',
    help: 'Requests being worked on (state="active") and waiting their turn (state="queued")',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'active' }, limit.activeCount);
      this.set({ state: 'queued' }, limit.pendingCount);
    },
  });
  const refuse = (reason: 'queue-full' | 'queue-timeout'): never => {
    refusals.inc({ reason });
    throw problems.unavailable('The gateway is busy; retry shortly.', 1);
  };
  const exempt = (c: Context) => alwaysAdmitted.has(c.req.path) || holdsOpen(c);

  return async (c, next) => {
    if (exempt(c)) return next();
    if (limit.pendingCount >= maxQueued) refuse('queue-full');
    const queuedAt = performance.now();
    await limit(async () => {
      if (performance.now() - queuedAt > maxQueueMs) refuse('queue-timeout');
      await next();
    });
  };
}
