import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Closer, config, counter, local, owner, storageOf, waitUntil } from './helpers.ts';
import { defineContext } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineProcess } from '../src/process/define-process.ts';
import type { ProcessRunner } from '../src/process/process-runner.ts';
import { BlobLease } from '../src/worker/blob-lease.ts';
import type { Runtime } from '../src/runtime.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

/** A goal reached once a counter (of the counter context) has gone up by `target`: it hears counter's published Incremented. */
interface Goal {
  counter?: string;
  target?: number;
  total: number;
  reached?: boolean;
}
const goal = defineProcess<Goal, { counter: string; target: number }>({
  name: 'goal',
  context: 'goals',
  start: { schema: z.object({ counter: z.string(), target: z.number().int().positive() }), instance: (input) => input.counter },
  initialState: () => ({ total: 0 }),
  listens: [{ source: 'counter', events: ['Incremented'], instance: (event) => (event.data as { counterId: string }).counterId }],
  decide: (state, input) => {
    if (input.kind === 'start') return { state: { ...state, counter: input.data.counter, target: input.data.target } };
    if (input.kind === 'event') {
      const total = state.total + (input.event.data as { by: number }).by;
      return total >= state.target! ? { state: { ...state, total, reached: true }, done: true } : { state: { ...state, total } };
    }
    return { state };
  },
});
const goals = defineContext({ name: 'goals', events: [], aggregates: [], projections: [], processes: [goal], contracts: { consumed: [{ from: 'counter', events: ['Incremented'] }] } });

const goalsOf = (runtime: Runtime) => local(runtime, 'goals').processes.get('goal') as ProcessRunner<Goal, { counter: string; target: number }>;
const increment = (runtime: Runtime, id: string, by: number) => runtime.context('counter').execute('counter', 'increment', { id, by }, { principal: owner });

describe("a process hears other contexts' published events", () => {
  it('records each event for the instance it names once, even when the follower reads the feed again, and finishes on them', { timeout: 60_000 }, async () => {
    const cfg = config('pm-events');
    const first = await createRuntime({ contexts: [counter, goals], config: cfg });
    await goalsOf(first).begin({ counter: 'g1', target: 10 }, { principal: owner });
    for (const by of [3, 4]) await increment(first, 'g1', by);
    // Another counter's events concern no instance (or one that never started).
    await increment(first, 'other', 9);
    await waitUntil('both events recorded', async () => (await goalsOf(first).load('g1'))?.state.total === 7, 20_000);
    await first.close();

    // A successor that lost the follower's position reads every event again: nothing is recorded twice.
    const lease = new BlobLease(await storageOf(cfg).container('goals'), 'process-goal-counter', 15);
    expect(await lease.tryAcquire('test')).toBe(true);
    await lease.write({ seq: 0 });
    await lease.release();
    const second = closer.add(await createRuntime({ contexts: [counter, goals], config: cfg }));
    await increment(second, 'g1', 5);
    await waitUntil('the goal reached', async () => (await goalsOf(second).load('g1'))?.done === true, 20_000);
    const instance = (await goalsOf(second).load('g1'))!;
    expect(instance.state).toMatchObject({ total: 12, reached: true });
    const heard = instance.history.map((e) => (e.data as { input: { kind: string; event?: { data: { by: number } } } }).input).filter((input) => input.kind === 'event');
    expect(heard.map((input) => input.event!.data.by)).toEqual([3, 4, 5]);
    expect(await goalsOf(second).load('other')).toBeUndefined();
  });

  it('hears other contexts through its consumed contracts only', () => {
    expect(() => defineContext({ ...goals, contracts: { consumed: [] } })).toThrow(
      "context goals: process goal reacts to Incremented of counter; list it in contracts.consumed (from: 'counter')",
    );
  });
});
