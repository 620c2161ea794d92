import type { CloseReason, PartitionContext, ReceivedEventData, SubscriptionEventHandlers } from '@azure/event-hubs';
import type { ContextRuntime, IngestItem, Logger, Principal } from '@eventloom/core';
import { itemOf, validateAll, type Entry } from '../orders/intake.ts';
import type { Refusals } from './refusals.ts';

/** Who stored the orders that came through Event Hubs (the `who` of their events). */
export const eventHubsPrincipal: Principal = { sub: 'eventhubs', role: 'admin', name: 'Event Hubs order source' };

/** What this process's handlers have done since it started (a redelivered event counts again). */
export interface OrderEventStats {
  /** Events handed over by the SDK. */
  received: number;
  stored: number;
  /** Orders stored before: a redelivery, or an order also sent another way. */
  duplicates: number;
  refused: number;
  /** Batches stored and checkpointed. */
  batches: number;
  /** Batches not stored (the partition starts again from its checkpoint). */
  failures: number;
  errors: number;
  /** Per partition: the sequence number of the last event checkpointed by this process. */
  checkpoints: Record<string, number>;
}

/**
 * Thrown back to the SDK when a batch was not stored or not checkpointed. It carries no
 * `retryable` flag on purpose: for a retryable error the SDK's pump would go on reading
 * after the batch (skipping it until a restart); for any other it stops the partition,
 * and the next load-balancing round (10 s) starts it again from the last checkpoint, so
 * the batch comes again and its stored orders come back as duplicates.
 */
export class OrderBatchNotStored extends Error {
  constructor(partitionId: string, events: ReceivedEventData[], cause: unknown) {
    super(`orders of partition ${partitionId}, sequence numbers ${events[0]!.sequenceNumber}-${events.at(-1)!.sequenceNumber}, were not stored: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'OrderBatchNotStored';
  }
}

export interface OrderEventHandlersOptions {
  /** The orders context. */
  runtime: ContextRuntime;
  refusals: Refusals;
  log: Logger;
}

/** Blob writes for refused events at once, at most. */
const refusalWrites = 16;

/**
 * The SDK's subscription handlers for orders (seed 004 JSON, one order per event).
 * Delivery from Event Hubs is at least once: after a crash, a lost lease or a failed
 * batch, events after the last checkpoint come again. Each order is stored under its
 * PaymentTransactionId (as through HTTP), so a redelivered order is a duplicate, not a
 * second order. A batch is checkpointed only once every order in it is durably stored
 * and every refusal durably recorded.
 */
export class OrderEventHandlers implements SubscriptionEventHandlers {
  readonly stats: OrderEventStats = { received: 0, stored: 0, duplicates: 0, refused: 0, batches: 0, failures: 0, errors: 0, checkpoints: {} };
  private readonly options: OrderEventHandlersOptions;

  constructor(options: OrderEventHandlersOptions) {
    this.options = options;
  }

  processEvents = async (events: ReceivedEventData[], context: PartitionContext): Promise<void> => {
    // The SDK hands over an empty batch when nothing arrived within its wait time.
    if (events.length === 0) return;
    this.stats.received += events.length;
    const { runtime, log } = this.options;
    let stored = 0;
    let duplicates = 0;
    try {
      const entries = events.map(entryOf);
      const validations = await validateAll(runtime, entries);
      const items: IngestItem[] = [];
      const refused: { event: ReceivedEventData; errors: Record<string, string[]>; json?: unknown }[] = [];
      validations.forEach((validation, i) => {
        if (validation.ok) items.push(itemOf(validation.order));
        else refused.push({ event: events[i]!, errors: validation.errors, ...('json' in entries[i]! ? { json: entries[i]!.json } : {}) });
      });
      await this.refuse(refused, context);
      const results = items.length > 0 ? await runtime.ingest(items, { principal: eventHubsPrincipal }) : [];
      stored = results.filter((r) => r.status === 'stored').length;
      duplicates = results.length - stored;
      await context.updateCheckpoint(events.at(-1)!);
    } catch (error) {
      this.stats.failures++;
      throw new OrderBatchNotStored(context.partitionId, events, error);
    }
    this.stats.stored += stored;
    this.stats.duplicates += duplicates;
    this.stats.batches++;
    this.stats.checkpoints[context.partitionId] = events.at(-1)!.sequenceNumber;
    log.debug({ partition: context.partitionId, events: events.length, stored, duplicates, checkpoint: events.at(-1)!.sequenceNumber }, 'orders from event hub stored');
  };

  processError = async (error: Error, context: PartitionContext): Promise<void> => {
    this.stats.errors++;
    // partitionId is empty for errors outside a partition (load balancing, the checkpoint store).
    this.options.log.error({ err: error, partition: context.partitionId || undefined }, 'event hub order source error');
  };

  processInitialize = async (context: PartitionContext): Promise<void> => {
    this.options.log.info({ partition: context.partitionId }, 'reading orders from event hub partition');
  };

  processClose = async (reason: CloseReason, context: PartitionContext): Promise<void> => {
    this.options.log.info({ partition: context.partitionId, reason }, 'stopped reading event hub partition');
  };

  private async refuse(refused: { event: ReceivedEventData; errors: Record<string, string[]>; json?: unknown }[], context: PartitionContext): Promise<void> {
    for (let i = 0; i < refused.length; i += refusalWrites) {
      await Promise.all(refused.slice(i, i + refusalWrites).map(({ event, errors, json }) => this.options.refusals.record(context, event, errors, json)));
    }
    for (const { event, errors } of refused) {
      this.options.log.warn({ partition: context.partitionId, sequenceNumber: event.sequenceNumber, errors }, 'order from event hub refused');
    }
    this.stats.refused += refused.length;
  }
}

/**
 * The order in an event's body. The source subscribes with `skipParsingBodyAsJson`, so a
 * body sent as bytes (what the shop's generator and ours send) arrives as bytes and is
 * parsed here, where a body that is not JSON can be refused with that reason.
 */
export function entryOf(event: Pick<ReceivedEventData, 'body'>): Entry {
  const { body } = event;
  if (body instanceof Uint8Array || typeof body === 'string') {
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    try {
      return { json: JSON.parse(text) };
    } catch {
      return { unreadable: 'the event body is not JSON' };
    }
  }
  if (body !== null && typeof body === 'object') return { json: body };
  return { unreadable: `the event body is ${body === null ? 'null' : typeof body}, not an order` };
}
