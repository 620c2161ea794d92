import { contextApp, identityBodiesOnly, noPrototypeKeys, problems, type AppEnv, type ContextDefinition, type Runtime } from '@eventloom/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { Logger } from 'pino';
import { adminPath, adminRoutes } from './admin/routes.ts';
import { admission, type AdmissionSettings } from './admission.ts';
import type { Auth } from './auth/auth.ts';
import { authenticate } from './auth/authenticate.ts';
import { authRoutes } from './auth/routes.ts';
import { consumerPaths, createConsumers, mountConsumers, withConsumerKeys } from './consumers/index.ts';
import { WebhookLag } from './consumers/webhooks/lag.ts';
import { webhookTargets, type WebhookTargets } from './consumers/webhooks/targets.ts';
import { mountContext } from './context-routes.ts';
import { addDocs } from './docs.ts';
import { HealthProbe, type HealthProbeOptions } from './health.ts';
import { livePath, liveRoutes } from './live.ts';
import { createMetrics } from './metrics.ts';
import { notFound, onError } from './problem-response.ts';
import { Quotas, type QuotaSettings } from './quotas.ts';
import { requestLog } from './request-log.ts';
import { requestTrace } from './request-trace.ts';
import { systemRoutes } from './system-routes.ts';

export interface GatewayOptions {
  runtime: Runtime;
  contexts: readonly ContextDefinition[];
  auth: Auth;
  logger: Logger;
  /** Largest request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** SSE heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /** Which addresses webhooks may be registered for (default: EVENTLOOM_WEBHOOK_TARGETS, else public only). */
  webhookTargets?: WebhookTargets;
  /** How many requests are worked on at once and may wait (defaults in admission.ts). */
  admission?: Partial<AdmissionSettings>;
  /** How fresh /health's probe must be (defaults in health.ts), or the probe itself when others share it (the health port). */
  health?: HealthProbeOptions | HealthProbe;
  /** Sign-in, stream and webhook quotas (defaults in quotas.ts). */
  quotas?: Partial<QuotaSettings>;
}

/**
 * Hono answers a HEAD with the GET route's answer less its body, and leaves that body
 * unread. A stream route (SSE) has started streaming by then; nobody would ever read or
 * cancel it, so its bus subscriptions and heartbeat would live on after the client went.
 * Cancelling the body stops the stream as a client hanging up does.
 */
const headWithoutBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (c.req.method === 'HEAD' && c.res.body) {
    await c.res.body.cancel().catch(() => undefined);
    c.res = new Response(null, c.res);
  }
};

/** Names the gateway itself uses under `/api`, so no context may take them. */
const reservedNames = new Set(['live', 'admin']);

/**
 * The gateway only composes, authenticates and documents: each context brings its
 * routes on its own sub-app, mounted at `/api/{name}`.
 */
export function createGateway(options: GatewayOptions): OpenAPIHono<AppEnv> {
  const { runtime, contexts, auth, logger } = options;
  const maxBody = options.bodyLimit ?? 64 * 1024;
  const consumers = createConsumers(runtime, logger);
  const webhookLag = new WebhookLag(runtime, consumers.webhooks);
  const metrics = createMetrics(runtime, logger, (stats) => webhookLag.read(stats));
  const app = contextApp();

  app.use(headWithoutBody);
  app.use(requestId());
  app.use(requestTrace);
  app.use(requestLog(logger));
  app.use(metrics.measure);
  app.use(admission(metrics.registry, options.admission));
  app.use(identityBodiesOnly);
  // One limit for all, except routes a context names (bulk ingestion).
  const limiter = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw problems.tooLarge(maxSize);
      },
    });
  const routeLimits = new Map<string, ReturnType<typeof limiter>>(
    contexts.flatMap((context) => Object.entries(context.bodyLimits ?? {}).map(([path, bytes]): [string, ReturnType<typeof limiter>] => [`/api/${context.name}${path}`, limiter(bytes)])),
  );
  const defaultLimit = limiter(maxBody);
  app.use((c, next) => (routeLimits.get(c.req.path) ?? defaultLimit)(c, next));
  app.use(noPrototypeKeys);
  app.use(authenticate(withConsumerKeys(auth, consumers.keys), { queryTokenPaths: [livePath] }));
  const quotas = new Quotas(runtime, metrics.registry, options.quotas);
  app.use(quotas.streams());

  app.route('/', systemRoutes(metrics.registry, auth, options.health instanceof HealthProbe ? options.health : new HealthProbe(runtime, options.health)));
  app.route('/auth', authRoutes(auth, quotas));
  app.route(livePath, liveRoutes(runtime, logger, { heartbeatMs: options.heartbeatMs }));
  app.route(adminPath, adminRoutes(runtime, logger, { heartbeatMs: options.heartbeatMs }));
  mountConsumers(app, runtime, contexts, consumers, options.webhookTargets ?? webhookTargets(), quotas, webhookLag);
  for (const context of contexts) {
    if (reservedNames.has(context.name) || consumerPaths.includes(context.name)) throw new Error(`context name "${context.name}" is reserved by the gateway`);
    mountContext(app, runtime, context);
  }
  addDocs(app, contexts);

  app.onError(onError(logger));
  app.notFound(notFound);
  return app;
}

export type { Auth } from './auth/auth.ts';
export { loadAuth } from './auth/auth.ts';
