import { BlobLease, channels, LeasedLoop, type ContextDefinition, type Runtime } from '@eventloom/core';
import type { Logger } from 'pino';
import type { Agent } from 'undici';
import { revokedChannel, type ConsumerKeys } from '../keys/consumer-keys.ts';
import { PublishedFeed } from '../published-feed.ts';
import { SubscriptionDelivery, type DeliveryState, type RetryPolicy } from './delivery.ts';
import { webhooksChangedChannel, type WebhookStore, type WebhookWithSecret } from './subscriptions.ts';
import { deliveryDispatcher, webhookTargets, type WebhookTargets } from './targets.ts';

export interface DispatcherOptions {
  retry?: Partial<RetryPolicy>;
  /** Fallback poll of each subscription when no feed notice arrives (default 10 s). */
  idleMs?: number;
  /** How often the subscription list is re-read even without a bus signal (default 30 s). */
  reconcileMs?: number;
  /** Which addresses may receive deliveries (default: EVENTLOOM_WEBHOOK_TARGETS, else public only). */
  targets?: WebhookTargets;
}

const defaultRetry: RetryPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, timeoutMs: 10_000 };

interface Running {
  subscription: WebhookWithSecret;
  loop: LeasedLoop;
}

/** The lease (and durable state) of one subscription's deliveries. */
export async function subscriptionLease(runtime: Runtime, id: string): Promise<BlobLease> {
  return new BlobLease(await runtime.storage.container('consumers'), `webhook-${id}`);
}

export async function deliveryState(runtime: Runtime, id: string): Promise<DeliveryState | undefined> {
  return (await subscriptionLease(runtime, id)).read<DeliveryState>();
}

/**
 * Runs webhook deliveries where workers run: one leased loop per subscription, so
 * with several worker processes each subscription is delivered by exactly one of
 * them. Feed notices wake the loops of subscriptions to that context; a change to
 * the subscriptions (or a key revocation) makes every process reconcile.
 */
export class WebhookDispatcher {
  private readonly running = new Map<string, Running>();
  private readonly feeds: Map<string, PublishedFeed>;
  private readonly retry: RetryPolicy;
  private readonly targets: WebhookTargets;
  /** One connection pool for every subscription, checking each address it connects to. */
  private readonly http: Agent | undefined;
  private unsubscribes: (() => Promise<void>)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private stopped = false;

  private readonly runtime: Runtime;
  private readonly store: WebhookStore;
  private readonly keys: ConsumerKeys;
  private readonly log: Logger;
  private readonly options: DispatcherOptions;

  constructor(runtime: Runtime, contexts: readonly ContextDefinition[], store: WebhookStore, keys: ConsumerKeys, log: Logger, options: DispatcherOptions = {}) {
    this.runtime = runtime;
    this.store = store;
    this.keys = keys;
    this.log = log;
    this.options = options;
    this.feeds = new Map(contexts.map((definition) => [definition.name, new PublishedFeed(runtime, definition)]));
    this.retry = { ...defaultRetry, ...options.retry };
    this.targets = options.targets ?? webhookTargets();
    this.http = deliveryDispatcher(this.targets);
  }

  async start(): Promise<void> {
    const bus = this.runtime.bus;
    for (const context of this.feeds.keys()) {
      this.unsubscribes.push(await bus.subscribe(channels.feed(context), () => this.wake(context)));
    }
    this.unsubscribes.push(await bus.subscribe(webhooksChangedChannel, () => void this.reconcile()));
    this.unsubscribes.push(await bus.subscribe(revokedChannel, () => void this.reconcile()));
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.options.reconcileMs ?? 30_000);
    this.log.info({ subscriptions: this.running.size }, 'webhook delivery running');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.reconciling;
    await Promise.all(this.unsubscribes.map((unsubscribe) => unsubscribe().catch(() => {})));
    await Promise.all([...this.running.values()].map(({ loop }) => this.stopLoop(loop)));
    this.running.clear();
    await this.http?.close();
  }

  /** Serialised: a burst of bus signals reconciles once after the one in progress. */
  reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.reconcileNow()).catch((error) => {
      this.log.warn({ err: (error as Error).message }, 'webhook reconcile failed; retrying on the next signal');
    });
    return this.reconciling;
  }

  private async reconcileNow(): Promise<void> {
    if (this.stopped) return;
    const [subscriptions, keys] = await Promise.all([this.store.list(), this.keys.list()]);
    const revoked = new Set(keys.filter((key) => key.revokedAt).map((key) => key.id));
    const wanted = new Map(subscriptions.filter((s) => !s.keyId || !revoked.has(s.keyId)).map((s) => [s.id, s]));
    for (const [id, { loop }] of this.running) {
      if (wanted.has(id)) continue;
      this.running.delete(id);
      await this.stopLoop(loop);
      this.log.info({ subscription: id }, 'webhook deliveries stopped');
    }
    for (const subscription of wanted.values()) {
      if (this.running.has(subscription.id)) continue;
      const feeds = this.feedsFor(subscription);
      const lease = await subscriptionLease(this.runtime, subscription.id);
      let loop: LeasedLoop | undefined;
      const work = new SubscriptionDelivery({ subscription, feeds, lease, store: this.store, policy: this.retry, wake: () => loop?.wake(), log: this.log, targets: this.targets, dispatcher: this.http });
      // In the worker group: delivered by the process whose share it falls in, taken over at once when that one is gone.
      const group = this.runtime.workerGroup;
      loop = new LeasedLoop(lease, work, { idleMs: this.options.idleMs ?? 10_000, log: this.log, ...(group ? { group } : {}) });
      this.running.set(subscription.id, { subscription, loop });
      group?.join(loop);
      loop.start();
    }
  }

  private async stopLoop(loop: LeasedLoop): Promise<void> {
    this.runtime.workerGroup?.leave(loop);
    await loop.stop();
  }

  private feedsFor(subscription: WebhookWithSecret): PublishedFeed[] {
    if (subscription.contexts.includes('*')) return [...this.feeds.values()];
    return subscription.contexts.flatMap((name) => this.feeds.get(name) ?? []);
  }

  private wake(context: string): void {
    for (const { subscription, loop } of this.running.values()) {
      if (subscription.contexts.includes('*') || subscription.contexts.includes(context)) loop.wake();
    }
  }
}
