import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Closer, config, counter, owner, waitUntil } from './helpers.ts';
import { createRuntime } from '../src/create-runtime.ts';
import type { ContextDefinition } from '../src/context/define-context.ts';
import { partitionOf } from '../src/relay/partitions.ts';
import type { ProjectionStats } from '../src/runtime.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

const counters = counter.projections[0]!;
const stallAfterMs = 1_500;

/** While a gate is set, the counter projection waits on it for the streams it names: a handler that hangs. */
let gate: { streams: Set<string>; promise: Promise<void>; open: () => void } | undefined;
const gated: ContextDefinition = {
  ...counter,
  feed: { partitions: 2 },
  projections: [
    {
      ...counters,
      partitioned: true,
      async apply(entry, views) {
        if (gate?.streams.has(entry.stream)) await gate.promise;
        return counters.apply(entry, views);
      },
    },
  ],
};

/** A counter id whose stream lands in the given partition of two. */
function idIn(partition: number): string {
  for (let i = 0; ; i++) if (partitionOf(`counter-lag${i}`, 2) === partition) return `lag${i}`;
}

describe('time lag and stalls in runtime stats', () => {
  it('gives each partition runner its seconds behind and stalled flag: the stopped one is flagged, the one beside it is 0 s behind', { timeout: 60_000 }, async () => {
    const runtime = closer.add(await createRuntime({ contexts: [gated], config: config('lag'), tuning: { stallAfterMs } }));
    const context = runtime.context('counter');
    const projection = async (): Promise<ProjectionStats> => (await runtime.stats())[0]!.projections[0]!;
    const [free, stopped] = [idIn(0), idIn(1)];
    for (const id of [free, stopped]) await context.execute('counter', 'increment', { id, by: 1 }, { principal: owner });
    await waitUntil('both applied', async () => {
      const p = await projection();
      return p.checkpoint === 2 && p.lag === 0;
    });
    expect(await projection()).toMatchObject({ lag: 0, lagSeconds: 0, stalled: false });

    let open!: () => void;
    gate = { streams: new Set([`counter-${stopped}`]), promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
    closer.defer(async () => gate?.open());
    const appended = Date.now();
    await context.execute('counter', 'increment', { id: stopped, by: 1 }, { principal: owner });
    await context.execute('counter', 'increment', { id: free, by: 1 }, { principal: owner });

    await waitUntil('partition 1 behind, partition 0 caught up', async () => {
      const p = (await projection()).partitions!;
      return p[1]!.lag === 1 && p[1]!.lagSeconds > 0 && p[0]!.checkpoint === 2 && p[0]!.lag === 0;
    });
    await waitUntil('partition 1 stalled', async () => (await projection()).partitions![1]!.stalled, stallAfterMs + 3_000);
    expect(Date.now() - appended).toBeGreaterThanOrEqual(stallAfterMs);
    const stalled = await projection();
    expect(stalled.stalled).toBe(true);
    expect(stalled.lagSeconds).toBeGreaterThanOrEqual(stallAfterMs / 1000);
    expect(stalled.partitions![0]).toMatchObject({ lag: 0, lagSeconds: 0, stalled: false });

    gate.open();
    gate = undefined;
    await waitUntil('caught up again', async () => {
      const p = await projection();
      return p.checkpoint === 4 && p.lag === 0;
    });
    expect(await projection()).toMatchObject({ lagSeconds: 0, stalled: false });
  });
});
