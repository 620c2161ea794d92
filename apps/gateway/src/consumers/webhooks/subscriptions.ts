import { randomBytes, randomUUID } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { isNotFound, type Principal, type Runtime } from '@eventloom/core';
import { loadSecretBox, type SecretBox } from './secret-box.ts';

/** Subscriptions added or removed: delivery workers reconcile at once. */
export const webhooksChangedChannel = 'eventloom:consumers:webhooks';

export interface WebhookSubscription {
  id: string;
  url: string;
  contexts: string[];
  /** Principal that registered it (`key:{id}` for a consumer key). */
  owner: string;
  /** The consumer key that registered it: revoking the key stops the deliveries. */
  keyId?: string;
  /** Per context: the feed seq deliveries start after (the head when it was registered, or 0). */
  start: Record<string, number>;
  createdAt: string;
}

export interface WebhookWithSecret extends WebhookSubscription {
  /** Signs every delivery (HMAC-SHA256); stored sealed with the gateway's secrets key. */
  secret: string;
}

interface SubscriptionRow {
  partitionKey: string;
  rowKey: string;
  url: string;
  contexts: string;
  owner: string;
  keyId?: string;
  /** JSON of the start seqs. */
  start: string;
  secret: string;
  createdAt: string;
}

/** One delivery attempt, for the admin's log. */
export interface DeliveryAttempt {
  subscription: string;
  eventId: string;
  context: string;
  seq: number;
  type: string;
  stream: string;
  attempt: number;
  ok: boolean;
  /** HTTP status, or 0 when there was no answer (refused, timeout). */
  status: number;
  latencyMs: number;
  error?: string;
  at: string;
}

const partition = 'webhooks';
/** The delivery log keeps this many attempts per subscription, the newest. */
export const keptAttempts = 1_000;
/** Attempts one process records for a subscription between two trims of its log. */
const trimEvery = 100;

/** Newest attempts first: row keys count down from the end of time, and within a millisecond by a counter. */
let written = 0;
function attemptKey(at: number): string {
  const order = String(999_999_999 - (written++ % 1_000_000_000)).padStart(9, '0');
  return `${String(9_999_999_999_999 - at).padStart(13, '0')}-${order}-${randomBytes(2).toString('hex')}`;
}

/** Admins see every subscription; others their own. */
export function mayRead(principal: Principal, subscription: WebhookSubscription): boolean {
  return principal.role === 'admin' || subscription.owner === principal.sub;
}

/** Webhook subscriptions and their delivery log, in two platform tables. */
export class WebhookStore {
  private subscriptionTable: Promise<TableClient> | undefined;
  private attemptTable: Promise<TableClient> | undefined;

  private readonly runtime: Runtime;
  /** Attempts recorded per subscription since its log was last trimmed. */
  private readonly sinceTrim = new Map<string, number>();
  /** Seals the signing secrets in the table. */
  private box: Promise<SecretBox> | undefined;

  constructor(runtime: Runtime, box?: SecretBox) {
    this.runtime = runtime;
    if (box) this.box = Promise.resolve(box);
  }

  private secrets(): Promise<SecretBox> {
    this.box ??= loadSecretBox();
    return this.box;
  }

  async create(input: { url: string; contexts: string[]; owner: string; keyId?: string; start: Record<string, number> }): Promise<WebhookWithSecret> {
    const subscription: WebhookWithSecret = {
      id: randomUUID(),
      url: input.url,
      contexts: [...new Set(input.contexts)].sort(),
      owner: input.owner,
      ...(input.keyId ? { keyId: input.keyId } : {}),
      start: input.start,
      secret: `whsec_${randomBytes(24).toString('base64url')}`,
      createdAt: new Date().toISOString(),
    };
    const { id, contexts, start, secret, ...rest } = subscription;
    await (await this.subscriptions()).createEntity<SubscriptionRow>({
      partitionKey: partition,
      rowKey: id,
      ...rest,
      contexts: JSON.stringify(contexts),
      start: JSON.stringify(start),
      secret: (await this.secrets()).seal(secret),
    });
    await this.runtime.bus.publish(webhooksChangedChannel, { id, change: 'created' });
    return subscription;
  }

  async list(): Promise<WebhookWithSecret[]> {
    const items: WebhookWithSecret[] = [];
    const rows = (await this.subscriptions()).listEntities<SubscriptionRow>({ queryOptions: { filter: odata`PartitionKey eq ${partition}` } });
    const box = await this.secrets();
    for await (const row of rows) items.push(fromRow(row, box));
    return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async get(id: string): Promise<WebhookWithSecret | undefined> {
    try {
      const box = await this.secrets();
      return fromRow(await (await this.subscriptions()).getEntity<SubscriptionRow>(partition, id), box);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await (await this.subscriptions()).deleteEntity(partition, id);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await this.runtime.bus.publish(webhooksChangedChannel, { id, change: 'deleted' });
    await this.trim(id, 0);
  }

  /**
   * Appends attempts of one subscription to its log, up to 100 rows per entity-group
   * transaction. Upserts: each row's key is new, so only a retry of a transaction that
   * committed (its answer lost) meets an existing row, and it is its own.
   */
  async record(attempts: DeliveryAttempt[]): Promise<void> {
    const table = await this.attempts();
    for (let i = 0; i < attempts.length; i += 100) {
      const actions: TransactionAction[] = attempts.slice(i, i + 100).map(({ error, ...attempt }) => [
        'upsert',
        {
          partitionKey: attempt.subscription,
          rowKey: attemptKey(Date.parse(attempt.at)),
          ...attempt,
          // A table property holds 32K characters; an error message needs far less.
          ...(error ? { error: error.slice(0, 2000) } : {}),
        },
        'Replace',
      ]);
      await table.submitTransaction(actions);
    }
    for (const subscription of new Set(attempts.map((a) => a.subscription))) {
      const count = (this.sinceTrim.get(subscription) ?? 0) + attempts.filter((a) => a.subscription === subscription).length;
      this.sinceTrim.set(subscription, count);
      if (count >= trimEvery) {
        this.sinceTrim.delete(subscription);
        // Housekeeping: a trim that fails (a row removed meanwhile) is redone next time.
        await this.trim(subscription, keptAttempts).catch(() => undefined);
      }
    }
  }

  /** Deletes a subscription's attempts beyond the newest `keep` (rows are keyed newest first). */
  async trim(subscription: string, keep: number): Promise<number> {
    const table = await this.attempts();
    const old: string[] = [];
    let seen = 0;
    for await (const row of table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${subscription}`, select: ['RowKey'] } })) {
      if (seen++ >= keep) old.push(row.rowKey!);
    }
    for (let i = 0; i < old.length; i += 100) {
      await table.submitTransaction(old.slice(i, i + 100).map((rowKey): TransactionAction => ['delete', { partitionKey: subscription, rowKey }]));
    }
    return old.length;
  }

  /** The latest attempts for a subscription, newest first. */
  async deliveries(subscription: string, limit: number): Promise<DeliveryAttempt[]> {
    const items: DeliveryAttempt[] = [];
    const pages = (await this.attempts())
      .listEntities<DeliveryAttempt>({ queryOptions: { filter: odata`PartitionKey eq ${subscription}` } })
      .byPage({ maxPageSize: limit });
    for await (const page of pages) {
      for (const row of page) {
        items.push({
          subscription: row.subscription,
          eventId: row.eventId,
          context: row.context,
          seq: Number(row.seq),
          type: row.type,
          stream: row.stream,
          attempt: Number(row.attempt),
          ok: Boolean(row.ok),
          status: Number(row.status),
          latencyMs: Number(row.latencyMs),
          ...(row.error ? { error: row.error } : {}),
          at: row.at,
        });
        if (items.length >= limit) return items;
      }
    }
    return items;
  }

  /**
   * One event's attempts, newest first: only rows since its placement (less a minute of
   * clock skew) are looked at, and the log keeps at most `keptAttempts` per subscription.
   */
  async attemptsAt(subscription: string, eventId: string, placedAt: number): Promise<DeliveryAttempt[]> {
    const since = String(9_999_999_999_999 - (placedAt - 60_000)).padStart(13, '0');
    const items: DeliveryAttempt[] = [];
    const rows = (await this.attempts()).listEntities<DeliveryAttempt>({
      queryOptions: { filter: odata`PartitionKey eq ${subscription} and RowKey lt ${`${since}.`} and eventId eq ${eventId}` },
    });
    for await (const row of rows) {
      items.push({ ...row, seq: Number(row.seq), attempt: Number(row.attempt), ok: Boolean(row.ok), status: Number(row.status), latencyMs: Number(row.latencyMs) });
      if (items.length >= 50) break;
    }
    return items;
  }

  private subscriptions(): Promise<TableClient> {
    this.subscriptionTable ??= this.runtime.storage.table('consumers', 'Webhooks');
    return this.subscriptionTable;
  }

  private attempts(): Promise<TableClient> {
    this.attemptTable ??= this.runtime.storage.table('consumers', 'Deliveries');
    return this.attemptTable;
  }
}

function fromRow(row: SubscriptionRow, box: SecretBox): WebhookWithSecret {
  return {
    id: row.rowKey,
    url: row.url,
    contexts: JSON.parse(row.contexts) as string[],
    owner: row.owner,
    ...(row.keyId ? { keyId: row.keyId } : {}),
    start: JSON.parse(row.start ?? '{}') as Record<string, number>,
    secret: box.open(row.secret),
    createdAt: row.createdAt,
  };
}

export function withoutSecret({ secret: _secret, ...subscription }: WebhookWithSecret): WebhookSubscription {
  return subscription;
}
