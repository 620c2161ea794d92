import { TableClient } from '@azure/data-tables';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContextDefinition } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { createLogger } from '../src/logger.ts';
import { MemoryBus } from '../src/bus/memory-bus.ts';
import { ProjectionRunner } from '../src/projection/runner.ts';
import { tableViewStore, type ViewStore } from '../src/projection/view-buffer.ts';
import { Feed } from '../src/relay/feed.ts';
import { connectionStringThrough, startHttpFaultProxy, storageTarget } from '../src/testing/faults/index.ts';
import { BlobLease } from '../src/worker/blob-lease.ts';
import { Closer, config, counter, owner, sleep, storageOf, waitUntil } from './helpers.ts';

const closer = new Closer();
afterAll(() => closer.closeAll());

const relayOnly: ContextDefinition = { ...counter, projections: [] };

describe('view writes are fenced', () => {
  it("a runner whose lease was lost while its write was on the way cannot overwrite its successor's row", { timeout: 30_000 }, async () => {
    const cfg = config('fence');
    const storage = storageOf(cfg);
    const relay = closer.add(await createRuntime({ contexts: [relayOnly], config: cfg }));
    const feed = new Feed(storage, 'counter');
    const increment = async (n: number, head: number) => {
      for (let i = 0; i < n; i++) await relay.context('counter').execute('counter', 'increment', { id: 'x', by: 1 }, { principal: owner });
      await waitUntil(`feed at ${head}`, async () => (await feed.head()) === head);
    };
    await increment(10, 10);

    const container = await storage.container('counter');
    const viewTable = await storage.table('counter', 'View', 'Counters');
    const value = async () => Number((await viewTable.getEntity('counter', 'x').catch(() => ({ value: undefined }))).value);
    // Runner A's first view write is held 3 s on the way (a stalled process, a slow network).
    let held = false;
    const proxy = closer.add(
      await startHttpFaultProxy({
        target: storageTarget(cfg.AZURE_STORAGE_CONNECTION_STRING, 'table'),
        service: 'table',
        decide: (request) => (!held && request.method !== 'GET' && request.url.includes('counterViewCounters') ? ((held = true), { kind: 'delay', ms: 3000 }) : { kind: 'pass' }),
      }),
    );
    const slow = TableClient.fromConnectionString(connectionStringThrough(cfg.AZURE_STORAGE_CONNECTION_STRING, { table: proxy }), viewTable.tableName, { allowInsecureConnection: true });
    const deadLetters = await storage.table('counter', 'DeadLetters');
    const runner = (lease: BlobLease, view: ViewStore) =>
      new ProjectionRunner({
        context: 'counter',
        definition: counter.projections[0]!,
        feed: new Feed(storage, 'counter'),
        viewsFor: async () => new Map([['Counters', view]]),
        dropGeneration: async () => undefined,
        container: async () => container,
        deadLetters,
        lease,
        bus: new MemoryBus(),
        log: createLogger('silent'),
        upcast: (entry) => entry,
      });

    const leaseA = new BlobLease(container, 'projection-counters');
    expect(await leaseA.tryAcquire()).toBe(true);
    const a = runner(leaseA, tableViewStore(slow));
    await a.start();
    const stepA = a.step().then(
      () => 'finished',
      (error: Error) => error.message,
    );
    await waitUntil('A writing', () => held);

    // A's lease is lost (broken, as if it had expired while A stalled); B takes over.
    await container.getBlockBlobClient('leases/projection-counters.json').getBlobLeaseClient().breakLease(0);
    const leaseB = new BlobLease(container, 'projection-counters');
    closer.defer(() => leaseB.release());
    expect(await leaseB.tryAcquire()).toBe(true);
    const b = runner(leaseB, tableViewStore(viewTable));
    await b.start();
    while (await b.step());
    await increment(5, 15);
    while (await b.step());
    expect(await value()).toBe(15);

    // A's write arrives late: it must not land over B's row.
    const outcomeA = await stepA;
    await sleep(200);
    expect(await value()).toBe(15);
    expect(outcomeA).toMatch(/another runner/);
    await increment(1, 16);
    while (await b.step());
    expect(await value()).toBe(16);
  });
});
