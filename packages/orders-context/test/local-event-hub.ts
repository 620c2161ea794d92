import type { CheckpointStore, PartitionContext, ReceivedEventData, SubscriptionEventHandlers } from '@azure/event-hubs';

/**
 * A stand-in for one event hub, to drive the order source's handlers without a
 * namespace (none is reachable here, and there is no emulator). Events are shaped as
 * the SDK hands them over with `skipParsingBodyAsJson` (bodies as bytes), and `pump`
 * does what the SDK's partition pump does, over the real checkpoint store: read the
 * partition after its checkpoint, hand over batches, and on an error from the handler
 * call `processError` and stop (the SDK's load balancer starts the partition again
 * later, from its checkpoint: call `pump` again). `updateCheckpoint` writes what the
 * SDK's PartitionProcessor writes: the event's sequence number and offset.
 */
export class LocalEventHub {
  readonly fullyQualifiedNamespace = 'local-test.servicebus.windows.net';
  readonly eventHubName: string;
  readonly consumerGroup: string;
  /** Every checkpoint written, in order: partition and sequence number. */
  readonly checkpointsWritten: { partitionId: string; sequenceNumber: number }[] = [];
  private readonly store: CheckpointStore;
  private readonly partitions = new Map<string, ReceivedEventData[]>();

  constructor(store: CheckpointStore, eventHubName = 'orders', consumerGroup = '$Default') {
    this.store = store;
    this.eventHubName = eventHubName;
    this.consumerGroup = consumerGroup;
  }

  /** Appends events to a partition; an object body is sent as its JSON bytes, a Buffer or string as it is. */
  send(partitionId: string, bodies: unknown[], partitionKey: string | null = null): ReceivedEventData[] {
    const events = this.partitions.get(partitionId) ?? [];
    this.partitions.set(partitionId, events);
    const added = bodies.map((body, i): ReceivedEventData => {
      const sequenceNumber = events.length + i;
      return {
        body: Buffer.isBuffer(body) || typeof body === 'string' ? body : Buffer.from(JSON.stringify(body)),
        properties: {},
        enqueuedTimeUtc: new Date(),
        partitionKey,
        offset: String(sequenceNumber * 1024),
        sequenceNumber,
        systemProperties: {},
        getRawAmqpMessage: () => {
          throw new Error('the local event hub keeps no AMQP messages');
        },
      };
    });
    events.push(...added);
    return added;
  }

  /** A partition's events so far. */
  events(partitionId: string): ReceivedEventData[] {
    return [...(this.partitions.get(partitionId) ?? [])];
  }

  /** The PartitionContext the SDK gives the handlers; `beforeCheckpoint` runs first (and may throw, as a crash would). */
  context(partitionId: string, beforeCheckpoint?: (event: ReceivedEventData) => Promise<void>): PartitionContext {
    const ids = { fullyQualifiedNamespace: this.fullyQualifiedNamespace, eventHubName: this.eventHubName, consumerGroup: this.consumerGroup, partitionId };
    return {
      ...ids,
      updateCheckpoint: async (event: ReceivedEventData) => {
        await beforeCheckpoint?.(event);
        await this.store.updateCheckpoint({ ...ids, sequenceNumber: event.sequenceNumber, offset: event.offset });
        this.checkpointsWritten.push({ partitionId, sequenceNumber: event.sequenceNumber });
      },
    };
  }

  /** The checkpointed sequence number of a partition in the store, -1 when none. */
  async checkpoint(partitionId: string): Promise<number> {
    const checkpoints = await this.store.listCheckpoints(this.fullyQualifiedNamespace, this.eventHubName, this.consumerGroup);
    return checkpoints.find((c) => c.partitionId === partitionId)?.sequenceNumber ?? -1;
  }

  /** Reads a partition from after its checkpoint to its end, as the SDK's pump would; stops at the handler's first error. */
  async pump(partitionId: string, handlers: SubscriptionEventHandlers, batchSize: number, context = this.context(partitionId)): Promise<{ delivered: number; error?: Error }> {
    const from = (await this.checkpoint(partitionId)) + 1;
    const events = (this.partitions.get(partitionId) ?? []).slice(from);
    let delivered = 0;
    for (let i = 0; i < events.length; i += batchSize) {
      const batch = events.slice(i, i + batchSize);
      try {
        await handlers.processEvents(batch, context);
        delivered += batch.length;
      } catch (error) {
        await handlers.processError(error as Error, context);
        return { delivered, error: error as Error };
      }
    }
    return { delivered };
  }
}
