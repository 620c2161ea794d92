import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Closer, config, counter, owner, storageOf, waitUntil } from './helpers.ts';
import { defineAggregate } from '../src/command/define-aggregate.ts';
import { defineContext } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineEvent } from '../src/events/define-event.ts';
import { defineReaction } from '../src/reaction/define-reaction.ts';
import { problems } from '../src/http/problem.ts';
import { BlobLease } from '../src/worker/blob-lease.ts';
import type { Runtime } from '../src/runtime.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

/** A context that keeps lucky counters: it reacts to counter's published Incremented by 7. */
const Noted = defineEvent('LuckyNoted', { schema: z.object({ counterId: z.string(), by: z.number() }) });
const lucky = defineAggregate({
  name: 'lucky',
  initialState: () => ({}),
  evolve: (state: object) => state,
  commands: {
    note: {
      schema: z.object({ counterId: z.string(), by: z.number().int() }).strict(),
      stream: (input: { counterId: string }) => `lucky-${input.counterId}`,
      decide: (input: { counterId: string; by: number }) => {
        // A refusal is the target's answer to that event: the reaction moves on.
        if (input.counterId.startsWith('no')) throw problems.rejected('unlucky', `${input.counterId} is never lucky`);
        return [Noted(input)];
      },
    },
  },
});
const onLucky = defineReaction({
  name: 'onlucky',
  source: 'counter',
  events: ['Incremented'],
  react: (entry) => {
    const data = entry.data as { counterId: string; by: number };
    return data.by === 7 ? [{ aggregate: 'lucky', command: 'note', input: { counterId: data.counterId, by: data.by } }] : [];
  },
});
const mirror = defineContext({
  name: 'mirror',
  events: [Noted],
  aggregates: [lucky],
  projections: [],
  contracts: { consumed: [{ from: 'counter', events: ['Incremented'] }] },
  reactions: [onLucky],
});

async function luckyNotes(runtime: Runtime, ids: string[]): Promise<Map<string, number>> {
  const notes = new Map<string, number>();
  for (const id of ids) notes.set(id, (await runtime.context('mirror').readStream(`lucky-${id}`)).length);
  return notes;
}

describe('reactions (choreography)', () => {
  it("acts once on each published event it reacts to, with the event's correlation id, and again after its position is lost changes nothing", { timeout: 60_000 }, async () => {
    const cfg = config('react');
    const first = await createRuntime({ contexts: [counter, mirror], config: cfg });
    const ids = ['a', 'nope', 'b', 'c'];
    const counterContext = first.context('counter');
    let correlationOfA: string | undefined;
    for (const id of ids) {
      for (const by of [7, 1, 7, 2]) {
        const accepted = await counterContext.execute('counter', 'increment', { id, by }, { principal: owner });
        if (id === 'a' && by === 7) correlationOfA ??= accepted.events[0]!.correlationId;
      }
    }
    const expected = new Map(ids.map((id) => [id, id === 'nope' ? 0 : 2]));
    // Refused for `nope` (its answer), and the reaction went on past it.
    await waitUntil('each lucky increment noted', async () => JSON.stringify([...(await luckyNotes(first, ids))]) === JSON.stringify([...expected]), 30_000);
    const [noteOfA] = await first.context('mirror').readStream('lucky-a');
    expect(noteOfA!.correlationId).toBe(correlationOfA);
    expect(noteOfA!.who).toBe('reaction:onlucky');
    await first.close();

    // A successor that lost the position (it starts from the feed's beginning): every command answers as a duplicate.
    const lease = new BlobLease(await storageOf(cfg).container('mirror'), 'reaction-onlucky', 15);
    expect(await lease.tryAcquire('test')).toBe(true);
    expect(await lease.read<{ seq: number }>()).toMatchObject({ seq: expect.any(Number) });
    await lease.write({ seq: 0 });
    await lease.release();
    const second = closer.add(await createRuntime({ contexts: [counter, mirror], config: cfg }));
    await second.context('counter').execute('counter', 'increment', { id: 'd', by: 7 }, { principal: owner });
    await waitUntil('the new lucky increment noted', async () => (await luckyNotes(second, ['d'])).get('d') === 1, 30_000);
    expect(await luckyNotes(second, ids)).toEqual(expected);
  });

  it('reads other contexts through its consumed contracts only, and only what they publish', async () => {
    expect(() => defineContext({ ...mirror, contracts: { consumed: [{ from: 'counter', events: [] }] } })).toThrow(
      "context mirror: reaction onlucky reacts to Incremented of counter; list it in contracts.consumed (from: 'counter')",
    );
    const unpublished = defineContext({ ...mirror, contracts: { consumed: [{ from: 'counter', events: ['Incremented'] }] } });
    await expect(createRuntime({ contexts: [{ ...counter, contracts: { published: [] } }, unpublished], config: config('react-unpublished') })).rejects.toThrow(
      'reaction mirror.onlucky reacts to Incremented, which counter does not publish',
    );
    // Where the source is not mounted, the reaction does not run (a process that mounts both runs it).
    const alone = closer.add(await createRuntime({ contexts: [mirror], config: config('react-unmounted') }));
    expect(alone.context('mirror').name).toBe('mirror');
  });
});
