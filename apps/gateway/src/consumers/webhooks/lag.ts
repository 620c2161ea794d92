import { firstPlacedAt, LagWatch, PublishedContracts, type ConsumerLag, type ContextStats, type Runtime } from '@eventloom/core';
import type { DeliveryState } from './delivery.ts';
import { deliveryState } from './dispatcher.ts';
import type { WebhookStore, WebhookSubscription } from './subscriptions.ts';

/** Rows looked at past a cursor for the first event a subscription is sent (one request). */
const lookAhead = 500;

/**
 * How far each webhook subscription is behind, per context it follows: entries after its
 * saved cursor, and how long the first published one among them has waited. Costs one
 * blob read per subscription and, for one that is behind, one read of at most
 * `lookAhead` rows after its cursor (remembered while the cursor stays), never a scan.
 * Unpublished entries are not waited for: none published in the next `lookAhead` is 0 s.
 */
export class WebhookLag {
  private readonly runtime: Runtime;
  private readonly store: WebhookStore;
  private readonly watch: LagWatch;
  private readonly contracts = new Map<string, PublishedContracts>();

  constructor(runtime: Runtime, store: WebhookStore, now?: () => number) {
    this.runtime = runtime;
    this.store = store;
    this.watch = new LagWatch(now ? { now } : {});
  }

  /** Every subscription's lag, against the feed heads of one stats reading (/metrics). */
  async read(stats: ContextStats[]): Promise<ConsumerLag[]> {
    const heads = new Map(stats.map((s) => [s.name, s.feedHead]));
    const subscriptions = await this.store.list();
    const lags = await Promise.all(subscriptions.map(async (subscription) => this.of(subscription, await deliveryState(this.runtime, subscription.id), heads)));
    this.watch.keepOnly(subscriptions.flatMap((s) => [...heads.keys()].map((context) => `${s.id}/${context}`)));
    return lags.flat();
  }

  /** One subscription's lag per context it follows, against the given heads or the feeds' own. */
  async of(subscription: WebhookSubscription, state: DeliveryState | undefined, heads?: Map<string, number>): Promise<ConsumerLag[]> {
    const known = [...this.runtime.contexts.keys()];
    const contexts = subscription.contexts.includes('*') ? known : subscription.contexts.filter((name) => known.includes(name));
    return Promise.all(
      contexts.map(async (context): Promise<ConsumerLag> => {
        const cursor = state?.cursors[context] ?? subscription.start[context] ?? 0;
        const head = heads?.get(context) ?? (await this.runtime.context(context).feed.head(cursor));
        const published = this.publishedBy(context);
        const { lagSeconds } = await this.watch.look(`${subscription.id}/${context}`, cursor, head, (seq) =>
          firstPlacedAt(this.runtime.context(context).feed, seq, (type) => published.contractOf(type) !== undefined, lookAhead),
        );
        return { context, consumer: subscription.id, lag: Math.max(0, head - cursor), lagSeconds };
      }),
    );
  }

  private publishedBy(context: string): PublishedContracts {
    let contracts = this.contracts.get(context);
    if (!contracts) {
      contracts = new PublishedContracts(this.runtime.context(context).definition);
      this.contracts.set(context, contracts);
    }
    return contracts;
  }
}
