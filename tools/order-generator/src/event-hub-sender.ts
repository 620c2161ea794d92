import type { CreateBatchOptions, EventData, EventDataBatch } from '@azure/event-hubs';
import { orderPartition } from '@eventloom/orders-context';
import type { BatchOutcome } from './gateway-sink.ts';

/** What the sender needs of the SDK's EventHubProducerClient (tests give it a fake of this shape). */
export interface OrderProducer {
  createBatch(options?: CreateBatchOptions): Promise<EventDataBatch>;
  sendBatch(batch: EventDataBatch): Promise<void>;
  close(): Promise<void>;
}

/**
 * The partition key of an order: the orders context's partition of its PaymentTransactionId
 * (`orders-NN`). Every copy of an order then travels in one hub partition, and each store
 * partition is fed by one hub partition, so two consumers never append to the same store
 * partition at once. An order without a usable id goes without a key (the hub picks).
 */
export function partitionKeyOf(order: unknown): string | undefined {
  const id = (order as { PaymentTransactionId?: unknown } | null)?.PaymentTransactionId;
  return typeof id === 'string' && id.length > 0 ? orderPartition(id) : undefined;
}

/**
 * Sends orders to an event hub instead of the gateway: one event per order (its JSON as
 * UTF-8 bytes, as the shop's generator sends it), grouped by partition key into batches
 * the SDK sizes (`createBatch` + `tryAdd`), in the order given within each key. The hub
 * does not validate: what was enqueued is stored, refused or found a duplicate by the
 * consumer. A failed send (after the SDK's own retries) rejects, and the whole call may
 * be sent again: the consumer stores each PaymentTransactionId once.
 */
export class EventHubSender {
  private readonly producer: OrderProducer;

  constructor(producer: OrderProducer) {
    this.producer = producer;
  }

  async send(orders: unknown[]): Promise<BatchOutcome> {
    const byKey = new Map<string | undefined, unknown[]>();
    for (const order of orders) {
      const key = partitionKeyOf(order);
      byKey.set(key, [...(byKey.get(key) ?? []), order]);
    }
    const enqueued = await Promise.all([...byKey].map(([key, group]) => this.sendKey(key, group)));
    return { stored: 0, duplicates: 0, rejected: 0, errors: [], enqueued: enqueued.reduce((a, b) => a + b, 0) };
  }

  /** One key's orders, batch after batch, so they reach their partition in order. */
  private async sendKey(partitionKey: string | undefined, orders: unknown[]): Promise<number> {
    const options = partitionKey === undefined ? {} : { partitionKey };
    let sent = 0;
    let batch = await this.producer.createBatch(options);
    for (const order of orders) {
      const event: EventData = { body: Buffer.from(JSON.stringify(order)), contentType: 'application/json' };
      if (batch.tryAdd(event)) continue;
      if (batch.count === 0) throw new Error(`an order of ${(event.body as Buffer).length} bytes is larger than an event hub batch holds (${batch.maxSizeInBytes} bytes)`);
      await this.producer.sendBatch(batch);
      sent += batch.count;
      batch = await this.producer.createBatch(options);
      if (!batch.tryAdd(event)) throw new Error(`an order of ${(event.body as Buffer).length} bytes is larger than an event hub batch holds (${batch.maxSizeInBytes} bytes)`);
    }
    if (batch.count > 0) {
      await this.producer.sendBatch(batch);
      sent += batch.count;
    }
    return sent;
  }
}
