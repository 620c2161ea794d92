import { followMeterProvider, observeLag, type AppEnv, type ConsumerLag, type ContextStats, type LagReading, type Runtime } from '@eventloom/core';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const httpDurationName = 'eventloom_http_request_duration_seconds';

/**
 * A registry per gateway (not prom-client's global one) so tests can build many.
 * Runtime numbers are read at scrape time, never pushed.
 */
export function createMetrics(runtime: Runtime, logger: Logger, consumerLag?: (stats: ContextStats[]) => Promise<ConsumerLag[]>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'eventloom_gateway_' });

  const httpDuration = new Histogram({
    name: httpDurationName,
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  new Counter({
    name: 'eventloom_appends_total',
    help: 'Append transactions committed, per context',
    labelNames: ['context'] as const,
    registers: [registry],
    collect() {
      // The runtime keeps the running totals; mirror them.
      this.reset();
      for (const [context, count] of Object.entries(runtime.counters().appends)) this.inc({ context }, count);
    },
  });

  new Counter({
    name: 'eventloom_appended_events_total',
    help: 'Events appended, per context',
    labelNames: ['context'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [context, count] of Object.entries(runtime.counters().appendedEvents)) this.inc({ context }, count);
    },
  });

  // Every lag gauge comes from one stats() call (and one read of the webhooks' cursors) per scrape.
  let pending: Promise<LagReading> | undefined;
  const reading = (): Promise<LagReading> => {
    pending ??= (async () => {
      followMeterProvider();
      const stats = await runtime.stats();
      // Projections' figures stand even when the webhooks' cursors cannot be read.
      const consumers = consumerLag
        ? await consumerLag(stats).catch((error: unknown) => {
            logger.warn({ err: error }, 'webhook lag unavailable for /metrics');
            return [];
          })
        : [];
      return { stats, consumers };
    })().finally(() => {
      pending = undefined;
    });
    return pending.catch((error: unknown) => {
      logger.warn({ err: error }, 'runtime stats unavailable for /metrics');
      return { stats: [], consumers: [] };
    });
  };
  const stats = async () => (await reading()).stats;
  // The same figures through OpenTelemetry (no-ops until the process registers an SDK).
  observeLag(reading);

  new Gauge({
    name: 'eventloom_relay_lag',
    help: 'Outbox rows not yet placed in the feed, per context',
    labelNames: ['context'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const context of await stats()) this.set({ context: context.name }, context.relayLag);
    },
  });

  new Gauge({
    name: 'eventloom_feed_head',
    help: 'Highest feed seq, per context',
    labelNames: ['context'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const context of await stats()) this.set({ context: context.name }, context.feedHead);
    },
  });

  new Gauge({
    name: 'eventloom_projection_lag',
    help: 'Feed entries a projection has not applied yet',
    labelNames: ['context', 'projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const context of await stats()) {
        for (const p of context.projections) this.set({ context: context.name, projection: p.name }, p.lag);
      }
    },
  });

  new Gauge({
    name: 'eventloom_projection_dead_letters',
    help: 'Events a projection parked after repeated failures',
    labelNames: ['context', 'projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const context of await stats()) {
        for (const p of context.projections) this.set({ context: context.name, projection: p.name }, p.deadLetters);
      }
    },
  });

  new Gauge({
    name: 'eventloom_projection_lag_seconds',
    help: 'How long the oldest feed entry a projection has not applied has waited (0 when caught up)',
    labelNames: ['context', 'projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const context of await stats()) {
        for (const p of context.projections) this.set({ context: context.name, projection: p.name }, p.lagSeconds);
      }
    },
  });

  new Gauge({
    name: 'eventloom_projection_stalled',
    help: '1 when a projection is behind and its checkpoint has not moved while entries waited for the stall threshold (EVENTLOOM_STALL_AFTER_SECONDS, default 30 s)',
    labelNames: ['context', 'projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const context of await stats()) {
        for (const p of context.projections) this.set({ context: context.name, projection: p.name }, p.stalled ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'eventloom_consumer_lag',
    help: 'Feed entries after a webhook subscription’s delivered cursor, per context',
    labelNames: ['context', 'subscription'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of (await reading()).consumers) this.set({ context: c.context, subscription: c.consumer }, c.lag);
    },
  });

  new Gauge({
    name: 'eventloom_consumer_lag_seconds',
    help: 'How long the oldest event not yet delivered to a webhook subscription has waited, per context (0 when caught up)',
    labelNames: ['context', 'subscription'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of (await reading()).consumers) this.set({ context: c.context, subscription: c.consumer }, c.lagSeconds);
    },
  });

  /** Times every request, labelled by route pattern (not raw path, which would explode cardinality). */
  const measure: MiddlewareHandler<AppEnv> = async (c, next) => {
    const end = httpDuration.startTimer();
    await next();
    const route = routePath(c);
    end({
      method: c.req.method,
      route: !route || route.endsWith('*') ? 'unmatched' : route,
      status: String(c.res.status),
    });
  };

  return { registry, measure };
}
