import type { Quotas } from '../../quotas.ts';
import { contextApp, defineRoute, problems, type Principal, type Runtime } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import { deliveryState } from './dispatcher.ts';
import type { WebhookLag } from './lag.ts';
import { mayRead, withoutSecret, type WebhookStore, type WebhookWithSecret } from './subscriptions.ts';
import { refusedTarget, type WebhookTargets } from './targets.ts';

export const webhooksPath = '/api/webhooks';

const Subscription = z
  .object({
    id: z.string(),
    url: z.string(),
    contexts: z.array(z.string()),
    owner: z.string(),
    keyId: z.string().optional(),
    start: z.record(z.string(), z.number()),
    createdAt: z.string(),
    state: z
      .object({
        cursors: z.record(z.string(), z.number()),
        delivered: z.number().int(),
        lastDeliveredAt: z.string().optional(),
        failing: z
          .object({ eventId: z.string(), context: z.string(), seq: z.number(), attempts: z.number(), nextAttemptAt: z.number(), lastError: z.string(), since: z.string() })
          .optional(),
      })
      .optional()
      .openapi({ description: 'Delivery progress; absent until the first delivery' }),
    lag: z
      .array(z.object({ context: z.string(), events: z.number().int(), seconds: z.number() }))
      .optional()
      .openapi({ description: 'Per context: feed entries after its cursor, and how long the oldest published event not delivered has waited (0 s when none)' }),
  })
  .openapi('WebhookSubscription');

const Delivery = z
  .object({
    subscription: z.string(),
    eventId: z.string(),
    context: z.string(),
    seq: z.number().int(),
    type: z.string(),
    stream: z.string(),
    attempt: z.number().int(),
    ok: z.boolean(),
    status: z.number().int().openapi({ description: 'HTTP status, 0 when the receiver did not answer' }),
    latencyMs: z.number(),
    error: z.string().optional(),
    at: z.string(),
  })
  .openapi('WebhookDelivery');

const idParam = z.object({ id: z.string().uuid('is not a subscription id') });
const owners: ('admin' | 'consumer')[] = ['admin', 'consumer'];

const register = defineRoute({
  method: 'post',
  path: '/',
  tags: ['consumers'],
  summary: 'Register a URL to receive the published events of some contexts, signed, at least once, in order per stream',
  description:
    'Each event is POSTed as a structured CloudEvent (application/cloudevents+json) with `Eventloom-Signature: t=<unix>,v1=<hex>`, ' +
    'v1 = HMAC-SHA256(secret, "<t>.<body>"). Any 2xx is success; anything else is retried with exponential backoff, and no later event is sent until it succeeds.',
  roles: owners,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({
              url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
              contexts: z.array(z.string().regex(/^(\*|[a-z][a-z0-9]{1,30})$/, 'a context name or *')).min(1).max(50),
              from: z.enum(['now', 'start']).optional().openapi({ description: '`now` (default): events after registration; `start`: the whole feed' }),
            })
            .strict(),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'The subscription and its signing secret (shown only here)',
      content: { 'application/json': { schema: z.object({ subscription: Subscription, secret: z.string() }) } },
    },
    400: { description: 'Invalid URL or contexts, or a URL that is not a public address (unless EVENTLOOM_WEBHOOK_TARGETS=any)' },
    403: { description: 'A context outside the key’s scope' },
    429: { description: 'The caller holds as many subscriptions as its quota allows' },
  },
});

const list = defineRoute({
  method: 'get',
  path: '/',
  tags: ['consumers'],
  summary: 'Subscriptions with their delivery progress (a consumer sees its own, an admin all)',
  roles: owners,
  responses: { 200: { description: 'The subscriptions', content: { 'application/json': { schema: z.object({ items: z.array(Subscription) }) } } } },
});

const remove = defineRoute({
  method: 'delete',
  path: '/{id}',
  tags: ['consumers'],
  summary: 'Stop and remove a subscription',
  roles: owners,
  request: { params: idParam },
  responses: { 204: { description: 'Removed' }, 404: { description: 'No such subscription (or not yours)' } },
});

const deliveries = defineRoute({
  method: 'get',
  path: '/{id}/deliveries',
  tags: ['consumers'],
  summary: 'The delivery log of a subscription, newest first: attempts, status, latency, error',
  roles: owners,
  request: { params: idParam, query: z.object({ limit: z.coerce.number().int().min(1).max(500).optional() }) },
  responses: {
    200: { description: 'Attempts', content: { 'application/json': { schema: z.object({ items: z.array(Delivery) }) } } },
    404: { description: 'No such subscription (or not yours)' },
  },
});

/** `/api/webhooks`: consumers register receivers; admins see every subscription and its log. */
export function webhookRoutes(runtime: Runtime, store: WebhookStore, contextNames: readonly string[], targets: WebhookTargets, quotas?: Quotas, lag?: WebhookLag) {
  const app = contextApp();

  const withState = async (subscription: WebhookWithSecret) => {
    const state = await deliveryState(runtime, subscription.id);
    const behind = lag ? (await lag.of(subscription, state)).map((l) => ({ context: l.context, events: l.lag, seconds: l.lagSeconds })) : undefined;
    return { ...withoutSecret(subscription), ...(state ? { state } : {}), ...(behind ? { lag: behind } : {}) };
  };
  const mine = async (principal: Principal, id: string) => {
    const subscription = await store.get(id);
    if (!subscription || !mayRead(principal, subscription)) throw problems.notFound(`No webhook subscription ${id}.`);
    return subscription;
  };

  app.openapi(register, async (c) => {
    const principal = c.get('principal')!;
    const body = c.req.valid('json');
    const unknown = body.contexts.filter((name) => name !== '*' && !contextNames.includes(name));
    if (unknown.length > 0) throw problems.validation({ contexts: [`unknown context ${unknown.join(', ')}`] });
    if (principal.role === 'consumer') {
      const scope = principal.contexts ?? [];
      const outside = scope.includes('*') ? [] : body.contexts.filter((name) => !scope.includes(name));
      if (outside.length > 0) throw problems.forbidden(`Your key is not scoped to ${outside.join(', ')}.`);
    }
    if (quotas) quotas.checkWebhooks(principal.sub, (await store.list()).filter((subscription) => subscription.owner === principal.sub).length);
    const refused = await refusedTarget(body.url, targets);
    if (refused) throw problems.validation({ url: [refused] }, `url: ${refused}`);
    const resolved = body.contexts.includes('*') ? contextNames : body.contexts;
    const start: Record<string, number> = {};
    if (body.from !== 'start') {
      await Promise.all(resolved.map(async (name) => (start[name] = await runtime.context(name).feed.head())));
    }
    const subscription = await store.create({
      url: body.url,
      contexts: body.contexts,
      owner: principal.sub,
      ...(principal.sub.startsWith('key:') ? { keyId: principal.sub.slice(4) } : {}),
      start,
    });
    c.header('Cache-Control', 'no-store');
    return c.json({ subscription: withoutSecret(subscription), secret: subscription.secret }, 201);
  });

  app.openapi(list, async (c) => {
    const principal = c.get('principal')!;
    const visible = (await store.list()).filter((subscription) => mayRead(principal, subscription));
    return c.json({ items: await Promise.all(visible.map(withState)) }, 200);
  });

  app.openapi(remove, async (c) => {
    const subscription = await mine(c.get('principal')!, c.req.valid('param').id);
    await store.remove(subscription.id);
    return c.body(null, 204);
  });

  app.openapi(deliveries, async (c) => {
    const subscription = await mine(c.get('principal')!, c.req.valid('param').id);
    return c.json({ items: await store.deliveries(subscription.id, c.req.valid('query').limit ?? 100) }, 200);
  });

  return app;
}
