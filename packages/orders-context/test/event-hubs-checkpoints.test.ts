/**
 * The Blob checkpoint store the Event Hubs order source gives the SDK, for real on
 * Azurite, in the container the worker uses (`{EVENTLOOM_PREFIX}-orders-eventhubs`):
 * partition ownership (the SDK's load balancing between processes) with ETag
 * conditions, and checkpoints in blob metadata.
 */
import type { PartitionOwnership } from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import type { ContainerClient } from '@azure/storage-blob';
import { Storage } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventHubCheckpoints } from '../src/ingest/event-hubs.ts';

const hub = { fullyQualifiedNamespace: 'contoso-orders.servicebus.windows.net', eventHubName: 'Orders', consumerGroup: '$Default' };

let storage: Storage;
let container: ContainerClient;
let store: BlobCheckpointStore;
beforeAll(async () => {
  const config = testConfig({ name: 'ehcp' });
  storage = new Storage(config.AZURE_STORAGE_CONNECTION_STRING, config.EVENTLOOM_PREFIX);
  container = await eventHubCheckpoints(storage);
  store = new BlobCheckpointStore(container);
});

const claim = (partitionId: string, ownerId: string, etag?: string): PartitionOwnership => ({ ...hub, partitionId, ownerId, ...(etag ? { etag } : {}) });
// A blob listing gives ETags unquoted, a write's response quoted; If-Match takes either.
const unquoted = (etag: string | undefined) => etag?.replace(/"/g, '');
const owners = async () => Object.fromEntries((await store.listOwnership(hub.fullyQualifiedNamespace, hub.eventHubName, hub.consumerGroup)).map((o) => [o.partitionId, o]));

describe('the Event Hubs checkpoint store on Azurite', () => {
  it('lives in the store prefix’s orders-eventhubs container', () => {
    expect(container.containerName).toBe(`${storage.prefix}-orders-eventhubs`);
  });

  it('claims unowned partitions, and lists who owns what with an ETag per claim', async () => {
    const claimed = await store.claimOwnership([claim('0', 'worker-a'), claim('1', 'worker-a')]);
    expect(claimed.map((o) => o.partitionId)).toEqual(['0', '1']);
    expect(claimed.every((o) => typeof o.etag === 'string' && o.etag.length > 0)).toBe(true);
    const listed = await owners();
    expect(listed['0']).toMatchObject({ ownerId: 'worker-a' });
    expect(listed['1']).toMatchObject({ ownerId: 'worker-a' });
    expect(unquoted(listed['0']!.etag)).toBe(unquoted(claimed[0]!.etag));
    expect(unquoted(listed['1']!.etag)).toBe(unquoted(claimed[1]!.etag));
    expect(listed['0']!.lastModifiedTimeInMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('lets one of two processes take a partition: a claim with a stale ETag loses (412), one with the current ETag wins', async () => {
    const [first] = await store.claimOwnership([claim('2', 'worker-a')]);
    // worker-a renews its claim: the ETag worker-b read before is stale now.
    const [renewed] = await store.claimOwnership([claim('2', 'worker-a', first!.etag)]);
    expect(renewed!.etag).not.toBe(first!.etag);
    expect(await store.claimOwnership([claim('2', 'worker-b', first!.etag)])).toEqual([]);
    expect((await owners())['2']!.ownerId).toBe('worker-a');

    // worker-b reads the ownership again and takes the partition over with the ETag it read.
    const current = (await owners())['2']!;
    const [taken] = await store.claimOwnership([claim('2', 'worker-b', current.etag)]);
    expect(taken!.ownerId).toBe('worker-b');
    expect(await store.claimOwnership([claim('2', 'worker-a', renewed!.etag)])).toEqual([]);
    expect((await owners())['2']!.ownerId).toBe('worker-b');
  });

  // Why the orders' keys matter: the SDK's first claim of a partition nobody owned carries no
  // ETag, so two processes starting together may both read it until the next balancing round.
  it('lets two first claims of an unowned partition both succeed (no ETag to race on); the later one is listed', async () => {
    const a = await store.claimOwnership([claim('5', 'worker-a')]);
    const b = await store.claimOwnership([claim('5', 'worker-b')]);
    expect([a.length, b.length]).toEqual([1, 1]);
    expect((await owners())['5']!.ownerId).toBe('worker-b');
    expect(await store.claimOwnership([claim('5', 'worker-a', a[0]!.etag)])).toEqual([]);
  });

  it('writes checkpoints and lists them back per partition; a later one replaces the earlier', async () => {
    const partition = { ...hub, partitionId: '3' };
    expect((await store.listCheckpoints(hub.fullyQualifiedNamespace, hub.eventHubName, hub.consumerGroup)).find((c) => c.partitionId === '3')).toBeUndefined();
    await store.updateCheckpoint({ ...partition, sequenceNumber: 41, offset: '42000' });
    await store.updateCheckpoint({ ...partition, sequenceNumber: 99, offset: '101376' });
    await store.updateCheckpoint({ ...hub, partitionId: '4', sequenceNumber: 7, offset: '7168' });
    const checkpoints = await store.listCheckpoints(hub.fullyQualifiedNamespace, hub.eventHubName, hub.consumerGroup);
    expect(checkpoints.find((c) => c.partitionId === '3')).toMatchObject({ sequenceNumber: 99, offset: '101376' });
    expect(checkpoints.find((c) => c.partitionId === '4')).toMatchObject({ sequenceNumber: 7, offset: '7168' });
  });

  it('keeps consumer groups and hubs apart, and ignores the case of their names (as Event Hubs does)', async () => {
    await store.updateCheckpoint({ ...hub, consumerGroup: 'reports', partitionId: '0', sequenceNumber: 5, offset: '5120' });
    const reports = await store.listCheckpoints(hub.fullyQualifiedNamespace, hub.eventHubName, 'Reports');
    expect(reports).toEqual([expect.objectContaining({ partitionId: '0', sequenceNumber: 5 })]);
    expect((await store.listCheckpoints(hub.fullyQualifiedNamespace, 'other-hub', hub.consumerGroup))).toEqual([]);
    expect((await store.listCheckpoints(hub.fullyQualifiedNamespace, 'orders', hub.consumerGroup)).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps its state in blob metadata a second store instance (another process) reads', async () => {
    const other = new BlobCheckpointStore(await eventHubCheckpoints(new Storage(storage.connectionString, storage.prefix)));
    const checkpoints = await other.listCheckpoints(hub.fullyQualifiedNamespace, hub.eventHubName, hub.consumerGroup);
    expect(checkpoints.find((c) => c.partitionId === '3')).toMatchObject({ sequenceNumber: 99 });
    const blob = container.getBlobClient(`${hub.fullyQualifiedNamespace}/orders/$default/checkpoint/3`);
    expect((await blob.getProperties()).metadata).toMatchObject({ sequencenumber: '99', offset: '101376' });
  });
});
