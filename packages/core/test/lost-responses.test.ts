import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContext, type ContextDefinition } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineEvent } from '../src/events/define-event.ts';
import { Feed, type FeedColumns } from '../src/relay/feed.ts';
import { Storage } from '../src/store/storage.ts';
import { connectionStringThrough, startHttpFaultProxy, storageTarget, type HttpFault, type ProxiedRequest } from '../src/testing/faults/index.ts';
import { Closer, config, counter, owner, storageOf, storeEvents } from './helpers.ts';

/**
 * The store committed, the answer was lost on the way back (a reset connection after
 * the write): a retry meets its own row. Each append must know its own commit, never
 * apply a command twice and never report its own events as someone else's.
 */
const closer = new Closer();
afterEach(() => closer.closeAll());

const Paid = defineEvent('Paid', { schema: z.object({ n: z.number() }) });
const shop = defineContext({ name: 'shop', events: [Paid], aggregates: [], projections: [] });

/** A runtime whose Table requests go through a proxy that loses the answer of the first write matching `lose`. */
async function runtimeLosing(name: string, lose: (request: ProxiedRequest) => boolean, contexts: ContextDefinition[] = [counter]) {
  const { cfg, proxy, lost } = await losingProxy(name, lose);
  const runtime = closer.add(
    await createRuntime({
      contexts,
      config: { ...cfg, AZURE_STORAGE_CONNECTION_STRING: connectionStringThrough(cfg.AZURE_STORAGE_CONNECTION_STRING, { table: proxy }) },
      workers: false,
    }),
  );
  return { cfg, runtime, lost };
}

/** A Table proxy that loses the answer of the first write matching `lose` (it lands; the caller hears nothing). */
async function losingProxy(name: string, lose: (request: ProxiedRequest) => boolean) {
  const cfg = config(name);
  let lost = 0;
  const proxy = closer.add(
    await startHttpFaultProxy({
      target: storageTarget(cfg.AZURE_STORAGE_CONNECTION_STRING, 'table'),
      service: 'table',
      decide: (request): HttpFault => (lost === 0 && lose(request) ? (lost++, { kind: 'reset-after' }) : { kind: 'pass' }),
    }),
  );
  return { cfg, proxy, lost: () => lost };
}

/** An insert into a table whose name ends so (names carry the test's prefix). */
const eventInsert = (suffix: string) => (request: ProxiedRequest) => request.method === 'POST' && new URL(request.url, 'http://x').pathname.endsWith(suffix);
const batch = (request: ProxiedRequest) => request.method === 'POST' && request.url.includes('$batch');

describe('an append whose answer was lost after it committed', () => {
  it('applies a plain command once and answers it as applied', async () => {
    const { cfg, runtime, lost } = await runtimeLosing('lostplain', eventInsert('counterEvents'));
    const accepted = await runtime.context('counter').execute('counter', 'increment', { id: 'once', by: 5 }, { principal: owner });
    expect(lost()).toBe(1);
    const stored = (await storeEvents(storageOf(cfg))).get('counter-once') ?? [];
    expect(stored.map((row) => row.id)).toEqual(accepted.events.map((e) => e.id));
    expect(accepted.duplicate).toBe(false);
    expect(await runtime.context('counter').loadState('counter', 'counter-once')).toEqual({ state: { value: 5 }, version: 1 });
  });

  it('answers a command with an idempotency key as applied, not as a duplicate of itself', async () => {
    const { cfg, runtime, lost } = await runtimeLosing('lostidem', batch);
    const accepted = await runtime.context('counter').execute('counter', 'increment', { id: 'keyed', by: 2 }, { principal: owner, idempotencyKey: 'k-1' });
    expect(lost()).toBe(1);
    expect(accepted.duplicate).toBe(false);
    expect((await storeEvents(storageOf(cfg))).get('counter-keyed')).toHaveLength(1);
    const again = await runtime.context('counter').execute('counter', 'increment', { id: 'keyed', by: 2 }, { principal: owner, idempotencyKey: 'k-1' });
    expect(again).toMatchObject({ duplicate: true, commandId: accepted.commandId });
  });

  it('reports ingested keys whose commit answer was lost as stored, not as duplicates', async () => {
    const { cfg, runtime, lost } = await runtimeLosing('lostkeyed', batch, [shop]);
    const items = Array.from({ length: 30 }, (_, i) => ({ key: `pay-${i}`, partition: 'orders-0', event: Paid({ n: i }) }));
    const results = await runtime.context('shop').ingest(items, { principal: owner });
    expect(lost()).toBe(1);
    expect(results.map((r) => r.status)).toEqual(Array(30).fill('stored'));
    expect((await storeEvents(storageOf(cfg), 'shop')).get('orders-0')).toHaveLength(30);
  });
});

const feedEntry = (seq: number, id = `e${seq}`): FeedColumns => ({
  seq,
  rat: new Date(0).toISOString(),
  id,
  type: 'Incremented',
  sv: 1,
  s: 'counter-c1',
  v: seq,
  at: new Date(0).toISOString(),
  who: 'test',
  cor: id,
  cau: id,
  data: JSON.stringify({ id: 'c1', by: 1 }),
});

/** A feed partition whose Table requests go through a proxy that loses the answer of the first write matching `lose`. */
async function feedLosing(name: string, lose: (request: ProxiedRequest) => boolean) {
  const { cfg, proxy, lost } = await losingProxy(name, lose);
  const storage = new Storage(connectionStringThrough(cfg.AZURE_STORAGE_CONNECTION_STRING, { table: proxy }), cfg.EVENTLOOM_PREFIX);
  return { feed: new Feed(storage, 'counter', 1), direct: new Feed(storageOf(cfg), 'counter', 1), lost };
}

describe('a feed append that meets rows already at its seqs', () => {
  it('counts a batch as placed when the retry meets its own rows', async () => {
    const { feed, direct, lost } = await feedLosing('lostfeedbatch', batch);
    await feed.append([1, 2, 3].map((seq) => feedEntry(seq)));
    expect(lost()).toBe(1);
    expect((await direct.rowsAfter(0, 10)).map((row) => row.id)).toEqual(['e1', 'e2', 'e3']);
  });

  it('counts a single row as placed when the retry meets it', async () => {
    const { feed, direct, lost } = await feedLosing('lostfeedrow', eventInsert('counterFeedP1'));
    await feed.append([feedEntry(1)]);
    expect(lost()).toBe(1);
    expect(await direct.head()).toBe(1);
  });

  it('says which seqs another relay placed when the rows it meets are not its own', async () => {
    const { feed, direct } = await feedLosing('otherfeedrows', () => false);
    await direct.append([1, 2].map((seq) => feedEntry(seq, `other${seq}`)));
    await expect(feed.append([1, 2].map((seq) => feedEntry(seq)))).rejects.toThrow('feed counter partition 1 already holds other entries at seqs 1..2: another relay placed them');
  });
});
