import type { Quotas } from '../quotas.ts';
/**
 * What consumer systems get (issue 6): each context's published events as a
 * CloudEvents feed, consumer keys scoped to contexts, links that need such a key,
 * signed webhooks, and the AsyncAPI document of it all.
 */
import type { AppEnv, ContextDefinition, Runtime } from '@eventloom/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import { asyncApiDocument } from './asyncapi.ts';
import { ConsumerKeys } from './keys/consumer-keys.ts';
import { consumerKeyRoutes, consumerKeysPath } from './keys/routes.ts';
import { WebhookDispatcher, type DispatcherOptions } from './webhooks/dispatcher.ts';
import { WebhookJourney } from './webhooks/journey.ts';
import type { WebhookLag } from './webhooks/lag.ts';
import { webhookRoutes, webhooksPath } from './webhooks/routes.ts';
import { WebhookStore } from './webhooks/subscriptions.ts';
import type { WebhookTargets } from './webhooks/targets.ts';

export { feedRoutes } from './feed-routes.ts';
export { withConsumerKeys } from './keys/key-auth.ts';
// For hosts that run these parts themselves (the fault simulator).
export { ConsumerKeys, WebhookDispatcher, WebhookStore, type DispatcherOptions };
export { SecretBox } from './webhooks/secret-box.ts';

export interface Consumers {
  keys: ConsumerKeys;
  webhooks: WebhookStore;
}

/** Names under `/api` these routes take, so no context may use them. */
export const consumerPaths = ['consumer-keys', 'webhooks'];

export function createConsumers(runtime: Runtime, logger: Logger): Consumers {
  const keys = new ConsumerKeys(runtime, logger);
  keys.listen(runtime.bus).catch((error) => logger.warn({ err: (error as Error).message }, 'key revocations are not followed'));
  return { keys, webhooks: new WebhookStore(runtime) };
}

/** `/api/consumer-keys`, `/api/webhooks` and `/asyncapi.json`. */
export function mountConsumers(app: OpenAPIHono<AppEnv>, runtime: Runtime, contexts: readonly ContextDefinition[], consumers: Consumers, targets: WebhookTargets, quotas?: Quotas, lag?: WebhookLag): void {
  const names = contexts.map((context) => context.name);
  app.route(consumerKeysPath, consumerKeyRoutes(consumers.keys, names));
  app.route(webhooksPath, webhookRoutes(runtime, consumers.webhooks, names, targets, quotas, lag));
  // Event journeys show the deliveries to the caller's webhooks (once per runtime).
  for (const name of names) {
    const sources = runtime.context(name).deliverySources;
    if (sources && !sources.some((source) => source instanceof WebhookJourney)) sources.push(new WebhookJourney(runtime, consumers.webhooks, contexts));
  }
  app.get('/asyncapi.json', (c) => c.json(asyncApiDocument(contexts, { host: new URL(c.req.url).host })));
}

/** Starts webhook delivery in a process that runs workers; stop it before closing the runtime. */
export async function startWebhookDelivery(
  runtime: Runtime,
  contexts: readonly ContextDefinition[],
  logger: Logger,
  options?: DispatcherOptions,
): Promise<WebhookDispatcher> {
  const consumers = { keys: new ConsumerKeys(runtime, logger), webhooks: new WebhookStore(runtime) };
  const dispatcher = new WebhookDispatcher(runtime, contexts, consumers.webhooks, consumers.keys, logger.child({ component: 'webhooks' }), options);
  await dispatcher.start();
  return dispatcher;
}
