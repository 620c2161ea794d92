import { afterEach, describe, expect, it } from 'vitest';
import type { LocalContext } from '../src/context/local-context.ts';
import type { ProblemError } from '../src/http/problem.ts';
import type { Runtime } from '../src/runtime.ts';
import { Closer, config, counterRuntime, countersFromStore, countersView, local, owner, sleep, sorted, storageOf, storeEvents, waitUntil } from './helpers.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());

async function increments(runtime: Runtime, count: number, counters = 20): Promise<void> {
  for (let i = 0; i < count; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, (_, j) =>
        runtime.context('counter').execute('counter', 'increment', { id: `c${(i + j) % counters}`, by: 1 + ((i + j) % 7) }, { principal: owner }),
      ),
    );
  }
}


/** History for several shadow batches: 99 events per append, straight into the store. */
async function history(runtime: Runtime, streams = 8): Promise<number> {
  const store = local(runtime).store;
  for (let stream = 0; stream < streams; stream++) {
    for (let version = 0; version < 990; version += 99) {
      const events = Array.from({ length: 99 }, () => ({ type: 'Incremented', data: { counterId: `s${stream}`, by: 1 } }));
      await store.append(`counter-s${stream}`, version, events, { who: 'test', correlationId: 'seed', causationId: 'seed' });
    }
  }
  return streams * 990;
}

const status = (runtime: Runtime) => runtime.context('counter').rebuilds.status('counters');

describe('view rebuilds', () => {
  it('rebuilds into a shadow generation while commands keep arriving, then swaps it in with nothing missed', async () => {
    const cfg = config('rebuild');
    const runtime = closer.add(await counterRuntime(cfg));
    await increments(runtime, 400);
    const context = local(runtime) as LocalContext;
    expect(await context.generations.of('counters')).toBe(0);

    const record = await runtime.context('counter').rebuilds.request('counters', 'admin');
    expect(record.state).toBe('requested');
    await expect(runtime.context('counter').rebuilds.request('counters', 'admin')).rejects.toMatchObject({ status: 409 } satisfies Partial<ProblemError>);

    let writing = true;
    const writer = (async () => {
      while (writing) await increments(runtime, 20);
    })();
    await waitUntil('the rebuild to finish', async () => (await status(runtime))?.state === 'done', 60_000, 200);
    writing = false;
    await writer;

    context.generations.forget();
    expect(await context.generations.of('counters')).toBeGreaterThan(0);
    const expected = sorted(countersFromStore(await storeEvents(storageOf(cfg))));
    await waitUntil('the live view to match the store', async () => JSON.stringify(sorted(await countersView(runtime))) === JSON.stringify(expected), 20_000);
    const done = (await status(runtime))!;
    expect(done.done).toBeGreaterThanOrEqual(400);
    expect(done.finishedAt).toBeDefined();
  });

  it('cancels a rebuild: the shadow is dropped and the live view keeps serving', async () => {
    const cfg = config('cancel');
    const runtime = closer.add(await counterRuntime(cfg));
    const events = await history(runtime, 4);
    await waitUntil('view caught up', async () => (await runtime.stats())[0]!.projections[0]!.checkpoint === events, 60_000, 200);
    await runtime.context('counter').rebuilds.request('counters', 'admin');
    await runtime.context('counter').rebuilds.cancel('counters');
    await waitUntil('the rebuild to be cancelled', async () => (await status(runtime))?.state === 'cancelled', 20_000, 200);
    expect(await (local(runtime) as LocalContext).generations.of('counters')).toBe(0);
    const expected = sorted(countersFromStore(await storeEvents(storageOf(cfg))));
    await waitUntil('the view to match the store', async () => JSON.stringify(sorted(await countersView(runtime))) === JSON.stringify(expected));
    // A new rebuild may start once the old one is over.
    expect((await runtime.context('counter').rebuilds.request('counters', 'admin')).state).toBe('requested');
  }, 90_000);

  it('a rebuild stopped midway leaves the old view serving and resumes in the next runtime', async () => {
    const cfg = config('resume');
    const first = await counterRuntime(cfg);
    const events = await history(first);
    await waitUntil('view caught up', async () => (await first.stats())[0]!.projections[0]!.checkpoint === events, 60_000, 200);
    const before = sorted(await countersView(first));
    await first.context('counter').rebuilds.request('counters', 'admin');
    await waitUntil('the rebuild to start', async () => (await status(first))?.state === 'running', 20_000, 50);
    await first.close();
    expect((await status(first))?.state).toBe('running');

    const second = closer.add(await counterRuntime(cfg));
    expect(sorted(await countersView(second))).toEqual(before);
    await waitUntil('the resumed rebuild to finish', async () => (await status(second))?.state === 'done', 60_000, 200);
    await sleep(100);
    (local(second) as LocalContext).generations.forget();
    expect(sorted(await countersView(second))).toEqual(before);
    expect(before).toHaveLength(8);
  }, 120_000);
});
