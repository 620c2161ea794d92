import type { ReceivedEventData } from '@azure/event-hubs';
import type { ContainerClient } from '@azure/storage-blob';
import { readBlobText } from '@eventloom/core';

/** Which hub, consumer group and partition an event came from (the SDK's PartitionContext has these). */
export interface PartitionOf {
  fullyQualifiedNamespace: string;
  eventHubName: string;
  consumerGroup: string;
  partitionId: string;
}

/** An event from Event Hubs that is not an order we can store, and why. */
export interface RefusedEvent {
  eventHubName: string;
  consumerGroup: string;
  partitionId: string;
  sequenceNumber: number;
  offset: string;
  enqueuedTime: string;
  partitionKey: string | null;
  /** Field errors as the HTTP routes give them (`Details.0.Quantity`), or `(body)`. */
  errors: Record<string, string[]>;
  /** The body as JSON when it was JSON, else its bytes in base64. */
  body?: unknown;
  bodyBase64?: string;
  refusedAt: string;
}

/**
 * Refused events, one blob each beside the checkpoints:
 * `refused/{namespace}/{hub}/{consumer group}/{partition}/{sequence number}.json`.
 * An event refused again after a redelivery rewrites its own blob, so each refused
 * event is there once, for an operator to read, fix and send again. The partition
 * moves on past it: one bad order never holds up the orders behind it.
 */
export class Refusals {
  private readonly container: ContainerClient;

  constructor(container: ContainerClient) {
    this.container = container;
  }

  async record(partition: PartitionOf, event: ReceivedEventData, errors: Record<string, string[]>, json?: unknown): Promise<RefusedEvent> {
    const refused: RefusedEvent = {
      eventHubName: partition.eventHubName,
      consumerGroup: partition.consumerGroup,
      partitionId: partition.partitionId,
      sequenceNumber: event.sequenceNumber,
      offset: String(event.offset),
      enqueuedTime: event.enqueuedTimeUtc.toISOString(),
      partitionKey: event.partitionKey ?? null,
      errors,
      ...bodyOf(event.body, json),
      refusedAt: new Date().toISOString(),
    };
    const text = JSON.stringify(refused);
    await this.container.getBlockBlobClient(blobName(partition, event.sequenceNumber)).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    return refused;
  }

  /** The refused events of one hub and consumer group (or one partition of it), in partition and sequence order. */
  async list(partition: Omit<PartitionOf, 'partitionId'> & { partitionId?: string }): Promise<RefusedEvent[]> {
    const refused: RefusedEvent[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix: prefixOf(partition) })) {
      refused.push(JSON.parse(await readBlobText(this.container.getBlobClient(blob.name))) as RefusedEvent);
    }
    return refused;
  }
}

// Hub and consumer group names are case-insensitive in Event Hubs (the checkpoint store lower-cases them too).
const prefixOf = (p: Omit<PartitionOf, 'partitionId'> & { partitionId?: string }) =>
  `refused/${p.fullyQualifiedNamespace.toLowerCase()}/${p.eventHubName.toLowerCase()}/${p.consumerGroup.toLowerCase()}/${p.partitionId === undefined ? '' : `${p.partitionId}/`}`;

// Zero-padded, so a listing is in sequence order.
const blobName = (partition: PartitionOf, sequenceNumber: number) => `${prefixOf(partition)}${String(sequenceNumber).padStart(20, '0')}.json`;

function bodyOf(body: unknown, json: unknown): { body?: unknown; bodyBase64?: string } {
  if (json !== undefined) return { body: json };
  if (body instanceof Uint8Array) return { bodyBase64: Buffer.from(body).toString('base64') };
  if (body === undefined) return {};
  return { body: typeof body === 'object' && body !== null ? body : String(body) };
}
