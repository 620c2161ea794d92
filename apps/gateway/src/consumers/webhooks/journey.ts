import { PublishedContracts, type ContextDefinition, type DeliverySource, type DeliveryStep, type Principal, type Runtime } from '@eventloom/core';
import { deliveryState } from './dispatcher.ts';
import { mayRead, type WebhookStore } from './subscriptions.ts';

/**
 * An event's deliveries for its journey: each webhook subscription the caller may see
 * that covers it (its context, a published type, registered before it) — delivered
 * once the subscription's saved cursor passed it, failing while it is the event held
 * back, else pending — with the attempts its delivery log kept.
 */
export class WebhookJourney implements DeliverySource {
  private readonly runtime: Runtime;
  private readonly store: WebhookStore;
  private readonly published: Map<string, PublishedContracts>;

  constructor(runtime: Runtime, store: WebhookStore, contexts: readonly ContextDefinition[]) {
    this.runtime = runtime;
    this.store = store;
    this.published = new Map(contexts.map((definition) => [definition.name, new PublishedContracts(definition)]));
  }

  async deliveries(request: { context: string; eventId: string; type: string; seq: number; placedAt: number; principal: Principal }): Promise<DeliveryStep[]> {
    const { context, eventId, seq, principal } = request;
    if (!this.published.get(context)?.contractOf(request.type)) return [];
    const covering = (await this.store.list()).filter((s) => mayRead(principal, s) && s.contexts.includes(context) && (s.start[context] ?? 0) < seq);
    return Promise.all(
      covering.map(async (subscription): Promise<DeliveryStep> => {
        const [state, attempts] = await Promise.all([deliveryState(this.runtime, subscription.id), this.store.attemptsAt(subscription.id, eventId, request.placedAt)]);
        const cursor = state?.cursors[context] ?? subscription.start[context] ?? 0;
        const failing = state?.failing?.eventId === eventId ? state.failing : undefined;
        const delivered = attempts.find((attempt) => attempt.ok);
        const last = attempts[0];
        return {
          subscription: subscription.id,
          kind: 'webhook',
          url: subscription.url,
          state: cursor >= seq ? 'delivered' : failing ? 'failing' : 'pending',
          ...(delivered ? { at: delivered.at } : {}),
          attempts: Math.max(attempts.length, failing?.attempts ?? 0),
          ...(last ? { status: last.status } : {}),
          ...(failing ? { error: failing.lastError } : last?.error ? { error: last.error } : {}),
        };
      }),
    );
  }
}
