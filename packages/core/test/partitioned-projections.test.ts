import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Closer, config, counter, countersFromStore, countersView, increments, local, owner, sleep, sorted, storageOf, storeEvents, waitUntil } from './helpers.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineProjection, type ProjectionDefinition } from '../src/projection/define-projection.ts';
import { checkpointBlob, readJson, viewTableName, type ProjectionCheckpoint } from '../src/projection/generations.ts';
import { partitionOf } from '../src/relay/partitions.ts';
import type { ContextDefinition } from '../src/context/define-context.ts';
import type { CoreConfig } from '../src/config.ts';
import type { Runtime } from '../src/runtime.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

const counters = counter.projections[0]!;

/** The counter context over P partitions, its projection run per partition (or not). */
function counterWith(partitions: number, projection: Partial<ProjectionDefinition> = { partitioned: true }): ContextDefinition {
  return { ...counter, feed: { partitions }, projections: [{ ...counters, ...projection }] };
}

const checkpointOf = async (cfg: CoreConfig, key: string) => (await readJson<ProjectionCheckpoint>(await storageOf(cfg).container('counter'), checkpointBlob(key)))?.value;
const status = (runtime: Runtime) => runtime.context('counter').rebuilds.status('counters');
const viewMatchesStore = async (runtime: Runtime, cfg: CoreConfig) =>
  JSON.stringify(sorted(await countersView(runtime))) === JSON.stringify(sorted(countersFromStore(await storeEvents(storageOf(cfg)))));

/** Counter rows of one view generation, straight from its table. */
async function rowsOf(cfg: CoreConfig, generation: number) {
  const storage = storageOf(cfg);
  const rows: Record<string, unknown>[] = [];
  for await (const row of storage.tableClient(viewTableName(storage, 'counter', 'Counters', generation)).listEntities()) rows.push(row);
  return rows;
}

describe('partitioned projections', () => {
  it('runs a runner per feed partition, each on its own lease and over its own partition: the view equals the store, Prefer: wait sees each write, stats show each partition', { timeout: 60_000 }, async () => {
    const cfg = config('pproj');
    const runtime = closer.add(await createRuntime({ contexts: [counterWith(4)], config: cfg }));
    const mine = () => runtime.footprint().projections.filter((p) => p.name === 'counters');
    expect(mine().map((p) => p.partition)).toEqual([0, 1, 2, 3]);
    await waitUntil('every partition runner holds its lease', () => mine().every((p) => p.active));

    const context = runtime.context('counter');
    for (let i = 0; i < 6; i++) {
      const accepted = await context.execute('counter', 'increment', { id: `w${i}`, by: 3 }, { principal: owner });
      expect(await context.waitForViews(accepted, 10_000)).toBe(true);
      expect((await countersView(runtime)).get(`w${i}`)).toBe(3);
    }
    const n = 6 + (await increments(runtime, 16, 5));
    await waitUntil('the view equals the store', () => viewMatchesStore(runtime, cfg), 30_000);

    // Each row says which partition wrote it: its stream's.
    for (const row of await rowsOf(cfg, 0)) expect(row._p).toBe(partitionOf(`counter-${String(row.rowKey)}`, 4));
    // Each runner's position is its partition's, and they add up to the feed.
    await waitUntil('every runner saved its position', async () => {
      const saved = await Promise.all(['counters', 'counters~p1', 'counters~p2', 'counters~p3'].map((key) => checkpointOf(cfg, key)));
      return saved.reduce((sum, c) => sum + (c?.seq ?? 0), 0) === n && saved.every((c) => c?.partitioned === 4);
    });
    const [stats] = await runtime.stats();
    const projection = stats!.projections[0]!;
    expect(projection.partitions!.map((p) => p.partition)).toEqual([0, 1, 2, 3]);
    expect(projection.checkpoint).toBe(n);
    expect(projection.lag).toBe(0);
    expect(projection.partitions!.map((p) => p.checkpoint)).toEqual(stats!.partitions!.map((p) => p.head));
  });

  it('answers Prefer: wait in a gateway that runs no workers, once the worker process applied the command in its partition', { timeout: 60_000 }, async () => {
    const cfg = config('pprojgw');
    const worker = closer.add(await createRuntime({ contexts: [counterWith(2)], config: cfg }));
    const gateway = closer.add(await createRuntime({ contexts: [counterWith(2)], config: cfg, workers: false }));
    await waitUntil('the worker runs every partition', () => worker.footprint().projections.every((p) => p.active));
    for (let i = 0; i < 4; i++) {
      const accepted = await gateway.context('counter').execute('counter', 'increment', { id: `g${i}`, by: 5 }, { principal: owner });
      expect(await gateway.context('counter').waitForViews(accepted, 10_000)).toBe(true);
      expect((await countersView(gateway)).get(`g${i}`)).toBe(5);
    }
  });

  it('a second runtime takes the partitions over when the first closes, and the view goes on from where each partition was', { timeout: 90_000 }, async () => {
    const cfg = config('pproj2');
    const a = await createRuntime({ contexts: [counterWith(2)], config: cfg });
    const b = closer.add(await createRuntime({ contexts: [counterWith(2)], config: cfg }));
    await increments(a, 8, 4, 'a');
    await a.close();
    await increments(b, 8, 4, 'b');
    await waitUntil('b runs every partition', () => b.footprint().projections.every((p) => p.active), 45_000, 200);
    await waitUntil('the view equals the store', () => viewMatchesStore(b, cfg), 30_000);
  });

  it('rebuilds across partitions while writes go on: readers move to the new tables only once every partition has caught up, with nothing missed, and the old tables go', { timeout: 90_000 }, async () => {
    const cfg = config('pprojrebuild');
    const runtime = closer.add(await createRuntime({ contexts: [counterWith(4)], config: cfg }));
    await increments(runtime, 24, 10);
    await waitUntil('the view equals the store', () => viewMatchesStore(runtime, cfg), 30_000);
    const context = local(runtime);

    await runtime.context('counter').rebuilds.request('counters', 'admin');
    let writing = true;
    let readerSawShortView = false;
    const writer = (async () => {
      for (let round = 0; writing; round++) await increments(runtime, 24, 1, '', () => 1);
    })();
    // While it runs, what readers see never lacks a counter the store has (no half-filled generation is read).
    const reader = (async () => {
      while (writing) {
        context.generations.forget();
        const view = await countersView(runtime);
        if (view.size < 24) readerSawShortView = true;
        await sleep(50);
      }
    })();
    await waitUntil('the rebuild to finish', async () => (await status(runtime))?.state === 'done', 60_000, 200);
    writing = false;
    await Promise.all([writer, reader]);
    expect(readerSawShortView).toBe(false);

    context.generations.forget();
    const generation = await context.generations.of('counters');
    expect(generation).toBeGreaterThan(0);
    await waitUntil('the live view equals the store', () => viewMatchesStore(runtime, cfg), 20_000);
    // Every partition moved to the new generation; the first runner then let the old one go.
    await waitUntil('every partition on the new generation, nothing left to drop', async () => {
      const saved = await Promise.all(['counters', 'counters~p1', 'counters~p2', 'counters~p3'].map((key) => checkpointOf(cfg, key)));
      return saved.every((c) => c?.generation === generation && !c.shadow) && (saved[0]!.retiring ?? []).length === 0;
    }, 20_000, 200);
    const done = (await status(runtime))!;
    expect(done.done).toBe(done.total);
  });

  it('cancels a rebuild across partitions: every partition lets go of the shadow, its tables are dropped, and the live view keeps serving', { timeout: 120_000 }, async () => {
    const cfg = config('pprojcancel');
    const runtime = closer.add(await createRuntime({ contexts: [counterWith(2)], config: cfg }));
    await increments(runtime, 12, 4);
    // A long history in partition 1 only: its runner is still filling the shadow when the cancel comes.
    const heavy = Array.from({ length: 40 }, (_, i) => `h${i}`).filter((id) => partitionOf(`counter-${id}`, 2) === 1).slice(0, 4);
    await Promise.all(heavy.map(async (id) => {
      for (let version = 0; version < 1980; version += 99) {
        await local(runtime).store.append(`counter-${id}`, version, Array.from({ length: 99 }, () => ({ type: 'Incremented', data: { counterId: id, by: 1 } })), { who: 'test', correlationId: 'seed', causationId: 'seed' });
      }
    }));
    await waitUntil('the view equals the store', () => viewMatchesStore(runtime, cfg), 90_000, 500);
    await runtime.context('counter').rebuilds.request('counters', 'admin');
    await waitUntil('partition 1 fills the shadow', async () => {
      const saved = await checkpointOf(cfg, 'counters~p1');
      return saved?.shadow !== undefined && !saved.shadow.following;
    }, 20_000, 20);
    const shadow = (await checkpointOf(cfg, 'counters'))!.shadow!.generation;
    await runtime.context('counter').rebuilds.cancel('counters');
    await waitUntil('the rebuild to be cancelled', async () => (await status(runtime))?.state === 'cancelled', 20_000, 200);
    await waitUntil('no partition holds the shadow, and it was dropped', async () => {
      const saved = await Promise.all(['counters', 'counters~p1'].map((key) => checkpointOf(cfg, key)));
      return saved.every((c) => !c?.shadow) && (saved[0]!.retiring ?? []).length === 0;
    }, 20_000, 200);
    await expect(rowsOf(cfg, shadow)).rejects.toMatchObject({ statusCode: 404 });
    expect(await local(runtime).generations.of('counters')).toBe(0);
    await increments(runtime, 12, 1, 'after');
    await waitUntil('the view equals the store', () => viewMatchesStore(runtime, cfg), 20_000);
    expect((await runtime.context('counter').rebuilds.request('counters', 'admin')).state).toBe('requested');
  });

  it('parks an event that would write a row of another partition, with a message saying why (a projection declared partitioned that is not)', { timeout: 60_000 }, async () => {
    const cfg = config('pprojmix');
    // One total row for every counter: written from every partition.
    const total = defineProjection({
      name: 'total',
      tables: ['Total'],
      handles: ['Incremented'],
      partitioned: true,
      async apply(entry, { view }) {
        await view('Total').update('all', 'sum', (row) => ({ partitionKey: 'all', rowKey: 'sum', value: Number(row?.value ?? 0) + (entry.data as { by: number }).by }));
      },
    });
    const runtime = closer.add(await createRuntime({ contexts: [{ ...counter, feed: { partitions: 2 }, projections: [total] }], config: cfg }));
    // Streams of both partitions, one at a time: the row's first writer owns it.
    const ids = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];
    expect(new Set(ids.map((id) => partitionOf(`counter-${id}`, 2))).size).toBe(2);
    for (const id of ids) await runtime.context('counter').execute('counter', 'increment', { id, by: 1 }, { principal: owner });
    await waitUntil('the strays are parked', async () => (await runtime.context('counter').deadLetters('total')).length > 0, 30_000, 200);
    const letters = await runtime.context('counter').deadLetters('total');
    expect(letters[0]!.error).toMatch(/written by events of feed partition \d and now by one of partition \d: a partitioned projection must write each row from streams of one partition only/);
    // Each letter names the runner that parked it, so it can be retried or skipped.
    const letter = letters[0]!;
    expect(letter.projection).toMatch(/^total(~p1)?$/);
    await runtime.context('counter').resolveDeadLetter(letter.projection, letter.seq, 'skip');
    expect((await runtime.context('counter').deadLetters('total')).find((l) => l.projection === letter.projection && l.seq === letter.seq)?.state).toBe('skipped');
  });

  it('pins the partition count once it has run: growing is refused with what to do, and a renamed projection grows with the feed', { timeout: 90_000 }, async () => {
    const cfg = config('pprojgrow');
    const first = await createRuntime({ contexts: [counterWith(2)], config: cfg });
    await increments(first, 8, 2);
    await waitUntil('the view caught up', () => viewMatchesStore(first, cfg), 30_000);
    await first.close();
    await expect(createRuntime({ contexts: [counterWith(4)], config: cfg })).rejects.toThrow(
      /cannot grow from 2 to 4 partitions while partitioned projection counters \(which ran at 2\) keeps its rows by partition: keep 2 partitions, or rename it/,
    );
    const renamed = closer.add(await createRuntime({ contexts: [counterWith(4, { partitioned: true, name: 'counters2' })], config: cfg }));
    await increments(renamed, 8, 2);
    const stats = async () => (await renamed.stats())[0]!.projections[0]!;
    await waitUntil('the renamed projection fills at 4 partitions', async () => (await stats()).checkpoint === 32 && (await stats()).partitions!.length === 4, 30_000, 200);
  });

  it('stops a projection switched between the merged order and per partition, saying what to do (its position counts another order)', { timeout: 60_000 }, async () => {
    const cfg = config('pprojswitch');
    const first = await createRuntime({ contexts: [counterWith(2, {})], config: cfg });
    await increments(first, 6, 2);
    await waitUntil('the view caught up', () => viewMatchesStore(first, cfg), 30_000);
    await first.close();
    const switched = closer.add(await createRuntime({ contexts: [counterWith(2)], config: cfg }));
    await waitUntil('it says why it stopped', async () => (await switched.stats())[0]!.projections[0]!.state === 'failed', 20_000, 200);
    expect((await switched.stats())[0]!.projections[0]!.error).toMatch(/ran over the merged feed and is now declared to run per partition \(2 partitions\).*Give the projection a new name/);
  });

  it('at one partition, a partitioned projection is one runner over the feed, and may switch either way', { timeout: 60_000 }, async () => {
    const cfg = config('pproj1');
    const first = await createRuntime({ contexts: [counterWith(1, {})], config: cfg });
    await increments(first, 6, 2);
    await waitUntil('the view caught up', () => viewMatchesStore(first, cfg), 30_000);
    await first.close();
    const switched = closer.add(await createRuntime({ contexts: [counterWith(1)], config: cfg }));
    expect(switched.footprint().projections.length).toBe(1);
    await increments(switched, 6, 2, 'more');
    await waitUntil('the view equals the store', () => viewMatchesStore(switched, cfg), 30_000);
    expect((await switched.stats())[0]!.projections[0]!.state).toBe('live');
  });
});
