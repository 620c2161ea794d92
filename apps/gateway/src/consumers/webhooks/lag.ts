import { firstPlacedAt, LagWatch, PublishedContracts, type ConsumerLag, type ContextStats, type Runtime } from '@eventloom/core';
import { deliveryState } from './dispatcher.ts';
import type { WebhookStore } from './subscriptions.ts';

/** Rows looked at past a cursor for the first event a subscription is sent (one request). */
const lookAhead = 500;

/**
 * How far each webhook subscription is behind, per context it follows: entries after its
 * saved cursor, and how long the first published one among them has waited. Costs one
 * blob read per subscription and, for one that is behind, one read of at most
 * `lookAhead` rows after its cursor (remembered while the cursor stays), never a scan.
 * Unpublished entries are not waited for: none of the next `lookAhead` published is 0 s.
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

  async read(stats: ContextStats[]): Promise<ConsumerLag[]> {
    const heads = new Map(stats.map((s) => [s.name, s.feedHead]));
    const subscriptions = await this.store.list();
    const lags = await Promise.all(
      subscriptions.map(async (subscription) => {
        const state = await deliveryState(this.runtime, subscription.id);
        const contexts = subscription.contexts.includes('*') ? [...heads.keys()] : subscription.contexts.filter((name) => heads.has(name));
        return Promise.all(
          contexts.map(async (context): Promise<ConsumerLag> => {
            const cursor = state?.cursors[context] ?? subscription.start[context] ?? 0;
            const head = heads.get(context)!;
            const published = this.publishedBy(context);
            const { lagSeconds } = await this.watch.look(`${subscription.id}/${context}`, cursor, head, (seq) =>
              firstPlacedAt(this.runtime.context(context).feed, seq, (type) => published.contractOf(type) !== undefined, lookAhead),
            );
            return { context, consumer: subscription.id, lag: Math.max(0, head - cursor), lagSeconds };
          }),
        );
      }),
    );
    this.watch.keepOnly(subscriptions.flatMap((s) => [...heads.keys()].map((context) => `${s.id}/${context}`)));
    return lags.flat();
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
