import { randomUUID } from 'node:crypto';
import { activeSpan, consumerAttributes, linkedSpan, recordProcessed, SpanKind, SpanStatusCode, traceHeader, type BlobLease, type LeasedWork } from '@eventloom/core';
import { HTTP } from 'cloudevents';
import type { Logger } from 'pino';
import { fetch, type Dispatcher } from 'undici';
import { toCloudEvent } from '../cloud-event.ts';
import type { PublishedEntry, PublishedFeed } from '../published-feed.ts';
import { sign, signatureHeader } from './signature.ts';
import { refusedLiteral, type WebhookTargets } from './targets.ts';
import type { DeliveryAttempt, WebhookStore, WebhookWithSecret } from './subscriptions.ts';

/** Deliveries between two saves of the cursor and the log (one blob write, one table batch). */
const saveEvery = 50;
const saveAfterMs = 1_000;

/** A subscription's durable progress, kept in its lease blob (written only under the lease). */
export interface DeliveryState {
  /** Per context: every published event up to this seq has been delivered. */
  cursors: Record<string, number>;
  /** The event that keeps failing; nothing after it is sent until it succeeds. */
  failing?: { eventId: string; context: string; seq: number; attempts: number; nextAttemptAt: number; lastError: string; since: string };
  delivered: number;
  lastDeliveredAt?: string;
}

export interface RetryPolicy {
  /** First retry after this long; doubles each time (with ±20 % jitter). */
  baseMs: number;
  maxMs: number;
  /** How long one POST may take. */
  timeoutMs: number;
}

/** Consecutive failures after which a subscription waits `maxMs` between tries. */
export function backoffMs(attempts: number, policy: RetryPolicy, random = Math.random): number {
  const exact = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exact * (0.8 + 0.4 * random()));
}

interface Outcome {
  ok: boolean;
  status: number;
  latencyMs: number;
  error?: string;
}

/**
 * Delivers one subscription's events, at least once and in feed order per context
 * (so in order per stream): the cursor moves past an event only when the receiver
 * answered 2xx, and a failing event is retried with exponential backoff before any
 * later one is sent. One gateway holds the subscription's lease at a time.
 */
export class SubscriptionDelivery implements LeasedWork {
  private state: DeliveryState = { cursors: {}, delivered: 0 };
  private readonly queues = new Map<string, PublishedEntry[]>();
  /** Per context: how far the last read looked (past unpublished entries). */
  private readonly scanned = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | undefined;
  private unsavedLog: DeliveryAttempt[] = [];
  private savedAt = performance.now();
  /** A save running behind the deliveries (they do not wait for it), and how the last one failed. */
  private saving: Promise<void> | undefined;
  private saveFailed: Error | undefined;
  /** The cursors passed unpublished entries since the last save. */
  private cursorsPassed = false;

  readonly subscription: WebhookWithSecret;
  private readonly feeds: readonly PublishedFeed[];
  private readonly lease: BlobLease;
  private readonly store: WebhookStore;
  private readonly policy: RetryPolicy;
  private readonly wake: () => void;
  private readonly log: Logger;
  private readonly targets: WebhookTargets;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(parts: {
    subscription: WebhookWithSecret;
    feeds: readonly PublishedFeed[];
    lease: BlobLease;
    store: WebhookStore;
    policy: RetryPolicy;
    wake: () => void;
    log: Logger;
    /** Which addresses may receive (checked again at every connection by `dispatcher`). */
    targets: WebhookTargets;
    dispatcher: Dispatcher | undefined;
  }) {
    this.subscription = parts.subscription;
    this.feeds = parts.feeds;
    this.lease = parts.lease;
    this.store = parts.store;
    this.policy = parts.policy;
    this.wake = parts.wake;
    this.log = parts.log;
    this.targets = parts.targets;
    this.dispatcher = parts.dispatcher;
  }

  async start(): Promise<void> {
    const saved = await this.lease.read<DeliveryState>();
    this.state = saved ?? { cursors: { ...this.subscription.start }, delivered: 0 };
    this.queues.clear();
    this.scanned.clear();
    this.unsavedLog = [];
    this.cursorsPassed = false;
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.unsavedLog = [];
    this.queues.clear();
    this.scanned.clear();
  }

  async step(): Promise<boolean> {
    if (this.saveFailed) {
      // Progress could not be saved (the lease is gone?): recover from the durable state.
      const error = this.saveFailed;
      this.saveFailed = undefined;
      throw error;
    }
    const failing = this.state.failing;
    if (failing && Date.now() < failing.nextAttemptAt) {
      this.wakeIn(failing.nextAttemptAt - Date.now());
      return false;
    }
    const next = await this.next();
    if (!next) {
      this.passUnpublished();
      await this.flush();
      return false;
    }
    const outcome = await this.post(next);
    recordProcessed(consumerAttributes(next.context, this.subscription.id), 'deliver', outcome.latencyMs / 1000, 1, outcome.ok ? undefined : outcome.status ? String(outcome.status) : 'no_answer');
    const attempt = (failing?.eventId === next.entry.id ? failing.attempts : 0) + 1;
    this.unsavedLog.push({
      subscription: this.subscription.id,
      eventId: next.entry.id,
      context: next.context,
      seq: next.entry.seq,
      type: next.entry.type,
      stream: next.entry.stream,
      attempt,
      ...outcome,
      at: new Date().toISOString(),
    });
    if (outcome.ok) {
      this.queues.get(next.context)?.shift();
      this.state = {
        cursors: { ...this.state.cursors, [next.context]: next.entry.seq },
        delivered: this.state.delivered + 1,
        lastDeliveredAt: new Date().toISOString(),
      };
      // Progress is saved in batches, behind the deliveries: after a crash the unsaved tail is
      // delivered again (at least once).
      if (this.unsavedLog.length >= saveEvery || performance.now() - this.savedAt > saveAfterMs) this.saveBehind();
      return true;
    }
    const delay = backoffMs(attempt, this.policy);
    this.state = {
      ...this.state,
      failing: {
        eventId: next.entry.id,
        context: next.context,
        seq: next.entry.seq,
        attempts: attempt,
        nextAttemptAt: Date.now() + delay,
        lastError: outcome.error ?? `HTTP ${outcome.status}`,
        since: failing?.eventId === next.entry.id ? failing.since : new Date().toISOString(),
      },
    };
    await this.flush();
    this.log.warn({ subscription: this.subscription.id, eventId: next.entry.id, attempt, status: outcome.status, retryInMs: delay }, 'webhook delivery failed');
    this.wakeIn(delay);
    return false;
  }

  /**
   * Nothing left to send: every published event up to where each feed was read has been
   * delivered, so the cursors pass the unpublished entries read after them. Saved at most
   * once a second, so a context busy with events it does not publish writes little, and
   * the saved cursor (what the lag figures read) does not stay behind them.
   */
  private passUnpublished(): void {
    const cursors = { ...this.state.cursors };
    for (const [context, seq] of this.scanned) {
      if (seq <= (cursors[context] ?? 0)) continue;
      cursors[context] = seq;
      this.cursorsPassed = true;
    }
    if (this.cursorsPassed) this.state = { ...this.state, cursors };
  }

  /** Starts a save unless one runs; deliveries go on meanwhile. */
  private saveBehind(): void {
    if (this.saving || this.unsavedLog.length === 0) return;
    this.saving = this.save()
      .catch((error: Error) => {
        this.saveFailed = error;
      })
      .finally(() => {
        this.saving = undefined;
      });
  }

  /** Waits for the save behind, then saves what is left (before going idle or backing off). */
  private async flush(): Promise<void> {
    await this.saving;
    if (this.saveFailed) {
      const error = this.saveFailed;
      this.saveFailed = undefined;
      throw error;
    }
    await this.save();
  }

  /** Writes the cursor under the lease, then the attempts up to now (a snapshot: deliveries go on). */
  private async save(): Promise<void> {
    const passed = this.cursorsPassed && performance.now() - this.savedAt >= saveAfterMs;
    if (this.unsavedLog.length === 0 && !passed) return;
    const state = this.state;
    const attempts = this.unsavedLog;
    this.unsavedLog = [];
    this.savedAt = performance.now();
    this.cursorsPassed = false;
    try {
      await this.lease.write(state);
    } catch (error) {
      this.unsavedLog = [...attempts, ...this.unsavedLog];
      this.cursorsPassed = passed;
      throw error;
    }
    await this.store.record(attempts);
  }

  /** The oldest undelivered event of the first context that has one. */
  private async next(): Promise<PublishedEntry | undefined> {
    for (const feed of this.feeds) {
      const queue = this.queues.get(feed.context) ?? [];
      this.queues.set(feed.context, queue);
      if (queue.length === 0) {
        const cursor = Math.max(this.state.cursors[feed.context] ?? 0, this.scanned.get(feed.context) ?? 0);
        const page = await feed.read(cursor, 50);
        queue.push(...page.entries);
        this.scanned.set(feed.context, page.lastSeq);
      }
      if (queue.length > 0) return queue[0];
    }
    return undefined;
  }

  /** One POST in a span of its own, linked to the event's trace; the receiver gets the span as `traceparent`. */
  private async post(item: PublishedEntry): Promise<Outcome> {
    const attributes = {
      ...consumerAttributes(item.context, this.subscription.id),
      'messaging.operation.name': 'send',
      'messaging.message.id': item.entry.id,
      'server.address': new URL(this.subscription.url).hostname,
    };
    return await linkedSpan(`deliver ${this.subscription.id}`, SpanKind.PRODUCER, [item.entry.traceparent], attributes, async () => {
      const outcome = await this.send(item);
      const span = activeSpan();
      span?.setAttribute('http.response.status_code', outcome.status);
      if (!outcome.ok) span?.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? `HTTP ${outcome.status}` });
      return outcome;
    });
  }

  private async send(item: PublishedEntry): Promise<Outcome> {
    const message = HTTP.structured(toCloudEvent(item));
    const body = String(message.body);
    const refused = refusedLiteral(this.subscription.url, this.targets);
    if (refused) return { ok: false, status: 0, latencyMs: 0, error: refused };
    const started = performance.now();
    try {
      const response = await fetch(this.subscription.url, {
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
        method: 'POST',
        headers: {
          ...(message.headers as Record<string, string>),
          [signatureHeader]: sign(this.subscription.secret, body),
          'Eventloom-Delivery': randomUUID(),
          'Eventloom-Subscription': this.subscription.id,
          'User-Agent': 'Eventloom-Webhooks/1',
          ...traceHeader(),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
      await response.body?.cancel().catch(() => {});
      const latencyMs = Math.round(performance.now() - started);
      const ok = response.status >= 200 && response.status < 300;
      return { ok, status: response.status, latencyMs, ...(ok ? {} : { error: `HTTP ${response.status} ${response.statusText}`.trim() }) };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const message =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${this.policy.timeoutMs} ms`
          : cause?.code === 'EADDRNOTPUBLIC'
            ? cause.message!
            : `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`;
      return { ok: false, status: 0, latencyMs: Math.round(performance.now() - started), error: message };
    }
  }

  private wakeIn(ms: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(this.wake, Math.max(0, ms));
  }
}
