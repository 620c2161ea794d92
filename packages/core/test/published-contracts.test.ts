/**
 * Other contexts read a context's contract types, not its internal events: a reaction,
 * a process and a projection over another context's feed name the contract type and
 * get the contract's data, while the feed's rows are still found by their internal type.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Closer, config, counter, local, owner, sleep, waitUntil } from './helpers.ts';
import { defineAggregate } from '../src/command/define-aggregate.ts';
import { defineContext } from '../src/context/define-context.ts';
import { publish } from '../src/contracts/publish.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineEvent } from '../src/events/define-event.ts';
import { defineProcess } from '../src/process/define-process.ts';
import { defineProjection } from '../src/projection/define-projection.ts';
import { defineReaction } from '../src/reaction/define-reaction.ts';
import type { FeedEntry } from '../src/events/envelope.ts';
import type { ProcessRunner } from '../src/process/process-runner.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

const [Incremented] = counter.events;
/** Counter's contract: its own name and shape, made from the internal Incremented. */
const CounterRaised = defineEvent('CounterRaised', { schema: z.object({ counter: z.string(), step: z.number().int() }) });
const publishing = defineContext({
  ...counter,
  contracts: { published: [publish(CounterRaised, { from: Incremented, map: (data: { counterId: string; by: number }) => ({ counter: data.counterId, step: data.by }), style: 'delta' })] },
});

const Heard = defineEvent('Heard', { schema: z.object({ counter: z.string(), step: z.number() }) });
const heard: FeedEntry[] = [];
const listener = defineAggregate({
  name: 'listener',
  initialState: () => ({}),
  evolve: (state: object) => state,
  commands: {
    hear: {
      schema: z.object({ counter: z.string(), step: z.number().int() }).strict(),
      stream: (input: { counter: string }) => `heard-${input.counter}`,
      decide: (input: { counter: string; step: number }) => [Heard(input)],
    },
  },
});
const onRaised = defineReaction({
  name: 'onraised',
  source: 'counter',
  events: ['CounterRaised'],
  react: (entry) => {
    heard.push(entry);
    const data = entry.data as { counter: string; step: number };
    return [{ aggregate: 'listener', command: 'hear', input: data }];
  },
});
const raisedSteps = defineProjection({
  name: 'raisedsteps',
  source: 'counter',
  tables: ['RaisedSteps'],
  handles: ['CounterRaised'],
  async apply(entry, { view }) {
    const { counter: id, step } = entry.data as { counter: string; step: number };
    await view('RaisedSteps').update('raised', id, (row) => ({ partitionKey: 'raised', rowKey: id, type: entry.type, steps: Number(row?.steps ?? 0) + step }));
  },
});
const listening = defineContext({
  name: 'listening',
  events: [Heard],
  aggregates: [listener],
  projections: [raisedSteps],
  contracts: { consumed: [{ from: 'counter', events: ['CounterRaised'] }] },
  reactions: [onRaised],
});

describe('published contract types, read by other contexts', () => {
  it('a reaction and a projection over another context name its contract type and get the contract data', { timeout: 60_000 }, async () => {
    const runtime = closer.add(await createRuntime({ contexts: [publishing, listening], config: config('contract') }));
    for (const by of [2, 3]) await runtime.context('counter').execute('counter', 'increment', { id: 'k1', by }, { principal: owner });
    await waitUntil('both increments heard', async () => (await runtime.context('listening').readStream('heard-k1')).length === 2, 30_000);
    expect(heard.map((entry) => [entry.type, entry.schemaVersion, entry.data])).toEqual([
      ['CounterRaised', 1, { counter: 'k1', step: 2 }],
      ['CounterRaised', 1, { counter: 'k1', step: 3 }],
    ]);
    await waitUntil('the projection to sum the steps', async () => (await runtime.context('listening').views.query('RaisedSteps')).rows.some((row) => row.steps === 5), 30_000);
    const [row] = (await runtime.context('listening').views.query('RaisedSteps')).rows;
    expect(row).toMatchObject({ rowKey: 'k1', type: 'CounterRaised', steps: 5 });
  });

  it('refuses to start a reader of an internal event that is only published as a contract type', async () => {
    const internal = defineContext({
      ...listening,
      projections: [],
      contracts: { consumed: [{ from: 'counter', events: ['Incremented'] }] },
      reactions: [{ ...onRaised, events: ['Incremented'] }],
    });
    await expect(createRuntime({ contexts: [publishing, internal], config: config('contract-internal') })).rejects.toThrow(
      'reaction listening.onraised reacts to Incremented, which counter does not publish',
    );
  });

  it('a process listening to another context hears the contract type', { timeout: 60_000 }, async () => {
    const tally = defineProcess<{ steps: number }, { counter: string }>({
      name: 'tally',
      context: 'tallying',
      start: { schema: z.object({ counter: z.string() }), instance: (input) => input.counter },
      initialState: () => ({ steps: 0 }),
      listens: [{ source: 'counter', events: ['CounterRaised'], instance: (event) => (event.data as { counter?: string }).counter }],
      decide: (state, input) => (input.kind === 'event' ? { state: { steps: state.steps + (input.event.data as { step: number }).step } } : { state }),
    });
    const tallying = defineContext({ name: 'tallying', events: [], aggregates: [], projections: [], processes: [tally], contracts: { consumed: [{ from: 'counter', events: ['CounterRaised'] }] } });
    const runtime = closer.add(await createRuntime({ contexts: [publishing, tallying], config: config('contract-process') }));
    const runner = local(runtime, 'tallying').processes.get('tally') as ProcessRunner<{ steps: number }, { counter: string }>;
    await runner.begin({ counter: 'p1' }, { principal: owner });
    await runtime.context('counter').execute('counter', 'increment', { id: 'p1', by: 4 }, { principal: owner });
    await waitUntil('the process to hear it', async () => (await runner.load('p1'))?.state.steps === 4, 30_000);
  });

  it('a reaction stops at an event its source cannot map, rather than skip it, and goes on once the mapping is fixed', { timeout: 60_000 }, async () => {
    const cfg = config('contract-broken');
    let broken = true;
    const fragile = defineContext({
      ...counter,
      contracts: {
        published: [
          publish(CounterRaised, {
            from: Incremented,
            map: (data: { counterId: string; by: number }) => {
              if (broken && data.by === 13) throw new Error('13 has no step');
              return { counter: data.counterId, step: data.by };
            },
            style: 'delta',
          }),
        ],
      },
    });
    heard.length = 0;
    const runtime = closer.add(await createRuntime({ contexts: [fragile, listening], config: cfg }));
    for (const by of [2, 13, 3]) await runtime.context('counter').execute('counter', 'increment', { id: 'b1', by }, { principal: owner });
    await waitUntil('the first increment heard', async () => (await runtime.context('listening').readStream('heard-b1')).length === 1, 30_000);
    await sleep(1500);
    expect(heard.map((entry) => (entry.data as { step: number }).step)).toEqual([2]);
    broken = false;
    await waitUntil('the rest heard, in order', async () => (await runtime.context('listening').readStream('heard-b1')).length === 3, 30_000);
    expect(heard.map((entry) => (entry.data as { step: number }).step)).toEqual([2, 13, 3]);
  });
});
