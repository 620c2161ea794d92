import { EventHubConsumerClient, earliestEventPosition, latestEventPosition, type Subscription } from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import type { ContainerClient } from '@azure/storage-blob';
import type { ContextRuntime, Logger, Runtime, Storage } from '@eventloom/core';
import type { EventHubSettings } from '../config.ts';
import { OrderEventHandlers, type OrderEventStats } from './order-events.ts';
import { Refusals } from './refusals.ts';

export { OrderBatchNotStored, OrderEventHandlers, entryOf, eventHubsPrincipal, type OrderEventStats } from './order-events.ts';
export { Refusals, type RefusedEvent } from './refusals.ts';
export { eventHubSettings, loadOrdersConfig, type EventHubSettings } from '../config.ts';

/** The container of checkpoints, partition ownership and refused events: `{EVENTLOOM_PREFIX}-orders-eventhubs`. */
export const eventHubContainer = 'orders-eventhubs';

/** That container on the store's own account (created if missing). */
export function eventHubCheckpoints(storage: Storage): Promise<ContainerClient> {
  return storage.container(eventHubContainer);
}

export interface EventHubOrderSourceOptions extends Partial<EventHubSettings> {
  connectionString: string;
  /** Checkpoints, ownership and refused events (`eventHubCheckpoints(storage)`). */
  checkpoints: ContainerClient;
  /** The orders context. */
  runtime: ContextRuntime;
  /** How long the SDK waits to fill a batch before handing over what it has (s, default 5). */
  maxWaitTimeInSeconds?: number;
  log?: Logger;
}

/**
 * Orders from Azure Event Hubs into the orders context. The SDK's consumer client, given
 * the Blob checkpoint store, balances the hub's partitions across every process running
 * a source with the same hub and consumer group on this store (ownership blobs with ETag
 * conditions), and starts each partition after its last checkpoint. The handlers store
 * each batch under the orders' PaymentTransactionIds and checkpoint only after that:
 * at-least-once delivery, each order stored once.
 *
 * Memory is bounded per partition this process reads: one batch being stored and up to
 * one batch prefetched (`batchSize` events each).
 */
export class EventHubOrderSource {
  readonly handlers: OrderEventHandlers;
  private readonly client: EventHubConsumerClient;
  private readonly options: EventHubOrderSourceOptions;
  private subscription: Subscription | undefined;

  constructor(options: EventHubOrderSourceOptions) {
    this.options = options;
    const log = (options.log ?? options.runtime.log).child({ component: 'eventhubs' });
    this.handlers = new OrderEventHandlers({ runtime: options.runtime, refusals: new Refusals(options.checkpoints), log });
    const store = new BlobCheckpointStore(options.checkpoints);
    const consumerGroup = options.consumerGroup ?? '$Default';
    this.client = options.eventHubName
      ? new EventHubConsumerClient(consumerGroup, options.connectionString, options.eventHubName, store)
      : new EventHubConsumerClient(consumerGroup, options.connectionString, store);
  }

  /** The hub and consumer group read. */
  get eventHub(): { name: string; consumerGroup: string; namespace: string } {
    return { name: this.client.eventHubName, consumerGroup: this.options.consumerGroup ?? '$Default', namespace: this.client.fullyQualifiedNamespace };
  }

  start(): void {
    if (this.subscription) return;
    const batchSize = this.options.batchSize ?? 100;
    this.subscription = this.client.subscribe(this.handlers, {
      startPosition: this.options.startPosition === 'latest' ? latestEventPosition : earliestEventPosition,
      maxBatchSize: batchSize,
      maxWaitTimeInSeconds: this.options.maxWaitTimeInSeconds ?? 5,
      prefetchCount: batchSize,
      skipParsingBodyAsJson: true,
    });
  }

  stats(): OrderEventStats {
    return structuredClone(this.handlers.stats);
  }

  /** Stops reading and gives up this process's partitions, so other processes take them over at once. */
  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = undefined;
    await this.client.close();
  }
}

/**
 * Starts the source for a process that runs the workers, after the catalog is seeded
 * (orders naming movies not yet listed would be refused); undefined when the settings
 * are (`ORDERS_EVENTHUB_CONNECTION_STRING` unset). Read the settings at process start,
 * so a wrong one stops it before anything runs.
 */
export async function startEventHubOrderSource(runtime: Runtime, log: Logger, settings: EventHubSettings | undefined): Promise<EventHubOrderSource | undefined> {
  if (!settings) return undefined;
  const source = new EventHubOrderSource({ ...settings, checkpoints: await eventHubCheckpoints(runtime.storage), runtime: runtime.context('orders'), log });
  source.start();
  const { name, consumerGroup, namespace } = source.eventHub;
  log.info({ namespace, eventHub: name, consumerGroup, start: settings.startPosition, batch: settings.batchSize, checkpoints: `${runtime.storage.prefix}-${eventHubContainer}` }, 'reading orders from event hub');
  return source;
}
