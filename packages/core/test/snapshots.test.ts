import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate } from '../src/command/define-aggregate.ts';
import { defineContext } from '../src/context/define-context.ts';
import { defineEvent } from '../src/events/define-event.ts';
import type { EventEnvelope } from '../src/events/envelope.ts';
import type { ReadOptions } from '../src/store/event-store.ts';
import { readBlobText } from '../src/store/storage.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { Closer, config, local, owner, storageOf, waitUntil } from './helpers.ts';

const Added = defineEvent('Added', { schema: z.object({ amount: z.number().int() }) });

interface Tally {
  sum: number;
  count: number;
  /** Order-sensitive digest of (version, amount): a wrong or reordered replay shows. */
  digest: number;
}

const tally = defineAggregate({
  name: 'tally',
  snapshotEvery: 100,
  initialState: (): Tally => ({ sum: 0, count: 0, digest: 7 }),
  evolve: (state: Tally, event: EventEnvelope): Tally => {
    const { amount } = event.data as { amount: number };
    return { sum: state.sum + amount, count: state.count + 1, digest: (state.digest * 31 + amount * 1000 + event.version) % 1_000_000_007 };
  },
  commands: {
    add: {
      schema: z.object({ id: z.string(), amounts: z.array(z.number().int()).min(1).max(99) }),
      stream: (input: { id: string }) => `tally-${input.id}`,
      decide: (input: { amounts: number[] }) => input.amounts.map((amount) => Added({ amount })),
    },
  },
});

const tallies = defineContext({ name: 'tallies', events: [Added], aggregates: [tally], projections: [] });

const closer = new Closer();
afterAll(() => closer.closeAll());

const replay = (events: EventEnvelope[]): Tally => events.reduce(tally.evolve, tally.initialState());

describe('snapshots and time travel', () => {
  const cfg = config('snap');
  const stream = 'tally-long';
  const snapshotBlob = async () => (await storageOf(cfg).container('tallies')).getBlockBlobClient(`snapshots/tally/${encodeURIComponent(stream)}.json`);

  it('writes a snapshot every 100 events while 1,000 events are appended', { timeout: 40_000 }, async () => {
    const runtime = closer.add(await createRuntime({ contexts: [tallies], config: cfg, workers: false }));
    const context = runtime.context('tallies');
    // 33 commands of 30 events and one of 10: versions 30, 60, ... 990, 1000.
    for (let c = 0; c < 34; c++) {
      const n = c < 33 ? 30 : 10;
      const amounts = Array.from({ length: n }, (_, i) => ((c * 30 + i) * 7) % 23 - 5);
      await context.execute('tally', 'add', { id: 'long', amounts }, { principal: owner });
    }
    const events = await context.readStream(stream);
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // snapshots fall at 120, 240, ..., 960 (first version ≥ 100 past the previous one); saved in the background
    const blob = await snapshotBlob();
    await waitUntil('the snapshot at 960', async () => JSON.parse(await readBlobText(blob)).version === 960, 5000);
    const snapshot = JSON.parse(await readBlobText(blob)) as { version: number; at: string; state: Tally };
    expect(snapshot.state).toEqual(replay(events.slice(0, 960)));
    expect(snapshot.at).toBe(events[959]!.occurredAt);
  });

  it('a fresh runtime loads the state from the snapshot plus only the events after it', async () => {
    const runtime = closer.add(await createRuntime({ contexts: [tallies], config: cfg, workers: false }));
    const context = local(runtime, 'tallies');
    const all = await context.readStream(stream);
    const reads: ReadOptions[] = [];
    const iterate = context.store.iterate.bind(context.store);
    context.store.iterate = (s: string, options: ReadOptions = {}) => {
      reads.push(options);
      return iterate(s, options);
    };
    const loaded = await context.loadState<Tally>('tally', stream);
    expect(loaded).toEqual({ state: replay(all), version: 1000 });
    expect(reads).toEqual([{ fromVersion: 961 }]);

    // a command decided on that state lands at 1001 with the right sum
    const accepted = await context.execute('tally', 'add', { id: 'long', amounts: [5] }, { principal: owner });
    expect(accepted.events.map((e) => e.version)).toEqual([1001]);
    expect((await context.loadState<Tally>('tally', stream)).state.sum).toBe(replay(all).sum + 5);
  });

  it('the loaded state really comes from the snapshot blob (a marked snapshot shows through)', async () => {
    const blob = await snapshotBlob();
    const snapshot = JSON.parse(await readBlobText(blob)) as { version: number; at: string; state: Tally };
    const marked = { ...snapshot, state: { ...snapshot.state, sum: snapshot.state.sum + 1_000_000 } };
    const body = JSON.stringify(marked);
    await blob.upload(body, Buffer.byteLength(body));
    const runtime = closer.add(await createRuntime({ contexts: [tallies], config: cfg, workers: false }));
    const context = runtime.context('tallies');
    const all = await context.readStream(stream);
    const loaded = await context.loadState<Tally>('tally', stream);
    expect(loaded.state.sum).toBe(replay(all).sum + 1_000_000);
    // time travel never uses snapshots: it is a replay
    expect((await context.loadState<Tally>('tally', stream, { toVersion: 1001 })).state).toEqual(replay(all));
    // put the honest snapshot back
    const honest = JSON.stringify(snapshot);
    await blob.upload(honest, Buffer.byteLength(honest));
  });

  it('time travel to a version or an instant equals replaying the events up to it', async () => {
    const runtime = closer.add(await createRuntime({ contexts: [tallies], config: cfg, workers: false }));
    const context = runtime.context('tallies');
    const all = await context.readStream(stream);
    for (const version of [1, 99, 100, 101, 500, 960, 961, 1000]) {
      const at = await context.loadState<Tally>('tally', stream, { toVersion: version });
      expect(at).toEqual({ state: replay(all.slice(0, version)), version });
    }
    for (const index of [0, 149, 500, 959, 999]) {
      const asOf = new Date(all[index]!.occurredAt);
      const upTo = all.filter((e) => e.occurredAt <= all[index]!.occurredAt);
      const at = await context.loadState<Tally>('tally', stream, { asOf });
      expect(at).toEqual({ state: replay(upTo), version: upTo[upTo.length - 1]!.version });
      expect(await context.readStream(stream, { asOf })).toEqual(upTo);
    }
    expect(await context.loadState<Tally>('tally', stream, { asOf: new Date('2000-01-01T00:00:00Z') })).toEqual({ state: tally.initialState(), version: 0 });
  });
});
