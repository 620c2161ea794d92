import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate, type DecideContext } from '../src/command/define-aggregate.ts';
import { defineContext } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineEvent } from '../src/events/define-event.ts';
import type { EventEnvelope } from '../src/events/envelope.ts';
import { problems } from '../src/http/problem.ts';
import { defineProcess, type ProcessCommand } from '../src/process/define-process.ts';
import type { ProcessRunner } from '../src/process/process-runner.ts';
import type { Runtime } from '../src/runtime.ts';
import { Closer, config, local, owner, storageOf, waitUntil } from './helpers.ts';
import { MemoryBus } from '../src/bus/memory-bus.ts';
import { BlobLease } from '../src/worker/blob-lease.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

// Pots of coins: take refuses to go below zero, give refuses a closed pot, and a pot
// whose id starts with `stall` never answers (its context is "down").
const Taken = defineEvent('Taken', { schema: z.object({ pot: z.string(), amount: z.number() }) });
const Given = defineEvent('Given', { schema: z.object({ pot: z.string(), amount: z.number() }) });
const Closed = defineEvent('Closed', { schema: z.object({ pot: z.string() }) });
const potInput = z.object({ pot: z.string(), amount: z.number().int().positive() });
const pot = defineAggregate({
  name: 'pot',
  initialState: () => ({ coins: 0, closed: false }),
  evolve: (state: { coins: number; closed: boolean }, event: EventEnvelope) => {
    if (event.type === 'Taken') return { ...state, coins: state.coins - (event.data as { amount: number }).amount };
    if (event.type === 'Given') return { ...state, coins: state.coins + (event.data as { amount: number }).amount };
    if (event.type === 'Closed') return { ...state, closed: true };
    return state;
  },
  commands: {
    take: {
      schema: potInput,
      stream: (input: z.infer<typeof potInput>) => `pot-${input.pot}`,
      decide: (input: z.infer<typeof potInput>, state: { coins: number }) => {
        if (input.amount > state.coins) throw problems.rejected('empty', `pot ${input.pot} has ${state.coins}`);
        return [Taken({ pot: input.pot, amount: input.amount })];
      },
    },
    give: {
      schema: potInput,
      stream: (input: z.infer<typeof potInput>) => `pot-${input.pot}`,
      decide: (input: z.infer<typeof potInput>, state: { closed: boolean }, _context: DecideContext) => {
        if (input.pot.startsWith('stall')) throw problems.unavailable(`pot ${input.pot} does not answer`);
        if (state.closed) throw problems.rejected('closed', `pot ${input.pot} is closed`);
        return [Given({ pot: input.pot, amount: input.amount })];
      },
    },
    close: {
      schema: z.object({ pot: z.string() }),
      stream: (input: { pot: string }) => `pot-${input.pot}`,
      decide: (input: { pot: string }) => [Closed({ pot: input.pot })],
    },
  },
});

interface Move {
  step: 'new' | 'taking' | 'giving' | 'giving-back' | 'done' | 'rejected' | 'given-back';
  request?: { id: string; from: string; to: string; amount: number };
  reason?: string;
}
const cmd = (step: string, command: string, pot: string, amount: number): ProcessCommand => ({ step, context: 'pots', aggregate: 'pot', command, input: { pot, amount } });
const move = defineProcess<Move, { id: string; from: string; to: string; amount: number }>({
  name: 'move',
  context: 'pots',
  start: { schema: z.object({ id: z.string(), from: z.string(), to: z.string(), amount: z.number().int().positive() }), instance: (input) => input.id },
  initialState: () => ({ step: 'new' }),
  timers: ['giveTimeout'],
  decide: (state, input) => {
    if (input.kind === 'start') return { state: { step: 'taking', request: input.data }, send: [cmd('take', 'take', input.data.from, input.data.amount)] };
    const { from, to, amount } = state.request!;
    if (state.step === 'taking' && input.kind === 'answer') {
      if (input.outcome === 'refused') return { state: { ...state, step: 'rejected', reason: input.code }, done: true };
      return { state: { ...state, step: 'giving' }, send: [cmd('give', 'give', to, amount)], schedule: [{ timer: 'giveTimeout', afterMs: 600 }] };
    }
    if (state.step === 'giving' && input.kind === 'answer' && input.step === 'give') {
      if (input.outcome === 'accepted') return { state: { ...state, step: 'done' }, cancel: ['giveTimeout'], done: true };
      return { state: { ...state, step: 'giving-back', reason: input.code }, cancel: ['giveTimeout'], send: [cmd('give-back', 'give', from, amount)] };
    }
    if (state.step === 'giving' && input.kind === 'timer') return { state: { ...state, step: 'giving-back', reason: 'timeout' }, send: [cmd('give-back', 'give', from, amount)] };
    if (state.step === 'giving-back' && input.kind === 'answer' && input.step === 'give-back') return { state: { ...state, step: 'given-back' }, done: true };
    return { state };
  },
});

const pots = defineContext({ name: 'pots', events: [Taken, Given, Closed], aggregates: [pot], projections: [], processes: [move] });
const tuning = { processIdleMs: 100, processQuietMs: 400 };

async function coins(runtime: Runtime, id: string): Promise<number> {
  return (await runtime.context('pots').loadState<{ coins: number }>('pot', `pot-${id}`)).state.coins;
}

function runner(runtime: Runtime): ProcessRunner<Move, { id: string; from: string; to: string; amount: number }> {
  return local(runtime, 'pots').processes.get('move')!;
}

async function fill(runtime: Runtime, id: string, amount: number) {
  await runtime.context('pots').execute('pot', 'give', { pot: id, amount }, { principal: owner });
}

describe('process managers', () => {
  it('runs an instance to its end: each step sent once with its key, answers recorded before what follows, the pending row gone afterwards', async () => {
    const runtime = closer.add(await createRuntime({ contexts: [pots], config: config('pm-happy'), tuning }));
    await fill(runtime, 'a1', 100);
    const started = await runner(runtime).begin({ id: 'm1', from: 'a1', to: 'b1', amount: 30 }, { principal: owner });
    expect(started).toEqual({ instance: 'm1', duplicate: false });
    const instance = await runner(runtime).load('m1');
    expect(instance).toMatchObject({ done: true, state: { step: 'done' }, unanswered: [] });
    expect(instance!.history.map((e) => (e.data as { input: { kind: string; step?: string } }).input)).toEqual([
      { kind: 'start', data: { id: 'm1', from: 'a1', to: 'b1', amount: 30 } },
      { kind: 'answer', step: 'take', outcome: 'accepted', events: [{ type: 'Taken', data: { pot: 'a1', amount: 30 } }] },
      { kind: 'answer', step: 'give', outcome: 'accepted', events: [{ type: 'Given', data: { pot: 'b1', amount: 30 } }] },
    ]);
    expect([await coins(runtime, 'a1'), await coins(runtime, 'b1')]).toEqual([70, 30]);
    // Every command carries the instance's correlation id.
    const taken = await runtime.context('pots').readStream('pot-a1');
    expect(taken.at(-1)!.correlationId).toBe(instance!.correlationId);
    // A second start is a duplicate: nothing taken again.
    expect(await runner(runtime).begin({ id: 'm1', from: 'a1', to: 'b1', amount: 30 }, { principal: owner })).toEqual({ instance: 'm1', duplicate: true });
    expect(await coins(runtime, 'a1')).toBe(70);
    const pending = await runtime.storage.table('pots', 'ProcessPending');
    await waitUntil('the finished instance leaves the pending table', async () => {
      for await (const _ of pending.listEntities()) return false;
      return true;
    });
  });

  it('compensates a refusal, and rejects what cannot start, moving nothing', async () => {
    const runtime = closer.add(await createRuntime({ contexts: [pots], config: config('pm-refuse'), tuning }));
    await fill(runtime, 'a2', 50);
    await runtime.context('pots').execute('pot', 'close', { pot: 'b2' }, { principal: owner });
    await runner(runtime).begin({ id: 'm2', from: 'a2', to: 'b2', amount: 20 }, { principal: owner });
    expect(await runner(runtime).load('m2')).toMatchObject({ done: true, state: { step: 'given-back', reason: 'closed' } });
    expect(await coins(runtime, 'a2')).toBe(50);
    await runner(runtime).begin({ id: 'm3', from: 'a2', to: 'b3', amount: 500 }, { principal: owner });
    expect(await runner(runtime).load('m3')).toMatchObject({ done: true, state: { step: 'rejected', reason: 'empty' } });
    expect([await coins(runtime, 'a2'), await coins(runtime, 'b3')]).toEqual([50, 0]);
  });

  it('fires a durable timer from the sweep when the target does not answer, and compensates: money conserved', async () => {
    const runtime = closer.add(await createRuntime({ contexts: [pots], config: config('pm-timer'), tuning }));
    await fill(runtime, 'a4', 40);
    await runner(runtime).begin({ id: 'm4', from: 'a4', to: 'stall4', amount: 25 }, { principal: owner });
    await waitUntil('the timeout fired and the coins came back', async () => (await runner(runtime).load('m4'))?.done === true, 10_000);
    expect(await runner(runtime).load('m4')).toMatchObject({ state: { step: 'given-back', reason: 'timeout' } });
    expect(await coins(runtime, 'a4')).toBe(40);
    const inputs = (await runner(runtime).load('m4'))!.history.map((e) => (e.data as { input: { kind: string; step?: string } }).input);
    expect(inputs.filter((input) => input.kind === 'timer')).toHaveLength(1);
    // Taken, never given at the silent pot, given back.
    expect(inputs.filter((input) => input.kind === 'answer').map((input) => input.step)).toEqual(['take', 'give-back']);
    expect((await runtime.context('pots').readStream('pot-a4')).map((e) => e.type)).toEqual(['Given', 'Taken', 'Given']);
  });

  it('a step recorded but never sent (the process died) is sent by the sweep of another process, once', async () => {
    const cfg = config('pm-crash');
    // A gateway whose sends all fail records the start and its first step, and answers nothing.
    const gateway = closer.add(await createRuntime({ contexts: [pots], config: cfg, workers: false, tuning }));
    await fill(gateway, 'a5', 10);
    const broken = runner(gateway) as unknown as { target: () => never };
    broken.target = () => {
      throw problems.unavailable('the gateway lost its way');
    };
    await runner(gateway).begin({ id: 'm5', from: 'a5', to: 'b5', amount: 10 }, { principal: owner });
    expect(await runner(gateway).load('m5')).toMatchObject({ done: false, unanswered: [{ step: 'take' }] });
    expect(await coins(gateway, 'a5')).toBe(10);
    // A worker's sweep finds it.
    const worker = closer.add(await createRuntime({ contexts: [pots], config: cfg, tuning }));
    await waitUntil('the worker finished the instance', async () => (await runner(worker).load('m5'))?.done === true, 10_000);
    expect([await coins(worker, 'a5'), await coins(worker, 'b5')]).toEqual([0, 10]);
    const takes = (await worker.context('pots').readStream('pot-a5')).filter((e) => e.type === 'Taken');
    expect(takes).toHaveLength(1);
  });

  it("fires a timer while the sweep's lease is held by a worker that died: another worker advances what is overdue, once", async () => {
    const cfg = config('pm-dead-holder');
    // A holder that died: it took the sweep's lease (60 s) and will never renew it or sweep.
    const ghost = new BlobLease(await storageOf(cfg).container('pots'), 'process-move', 60);
    expect(await ghost.tryAcquire('a worker that died')).toBe(true);
    // One process alone (no worker group to notice the dead holder): only the lease's expiry would free the sweep.
    const worker = closer.add(await createRuntime({ contexts: [pots], config: cfg, bus: new MemoryBus(), tuning: { ...tuning, processOverdueMs: 500 } }));
    await fill(worker, 'a7', 40);
    await runner(worker).begin({ id: 'm7', from: 'a7', to: 'stall7', amount: 25 }, { principal: owner });
    await waitUntil('the timeout fired and the coins came back', async () => (await runner(worker).load('m7'))?.done === true, 20_000);
    expect(await runner(worker).load('m7')).toMatchObject({ state: { step: 'given-back', reason: 'timeout' } });
    expect(await coins(worker, 'a7')).toBe(40);
    // The dead holder still held the sweep's lease all along.
    expect(await ghost.inspect()).toMatchObject({ leased: true, holder: 'a worker that died' });
    const inputs = (await runner(worker).load('m7'))!.history.map((e) => (e.data as { input: { kind: string } }).input);
    expect(inputs.filter((input) => input.kind === 'timer')).toHaveLength(1);
    await ghost.release();
  });

  // Found by the fault simulator (seed 103): a gateway whose clock ran 70 s ahead set a
  // transfer's 300 ms timer 70 s late for the worker that sweeps it.
  it("fires a timer on the storage service's time when the process that set it runs 70 s ahead", async () => {
    const cfg = config('pm-skew');
    const gateway = closer.add(await createRuntime({ contexts: [pots], config: cfg, workers: false, tuning, clock: () => Date.now() + 70_000 }));
    await fill(gateway, 'a8', 40);
    // stall8 never answers: the give waits for its 600 ms timeout, set by the gateway.
    await runner(gateway).begin({ id: 'm8', from: 'a8', to: 'stall8', amount: 25 }, { principal: owner });
    expect(await runner(gateway).load('m8')).toMatchObject({ state: { step: 'giving' } });
    const worker = closer.add(await createRuntime({ contexts: [pots], config: cfg, tuning }));
    await waitUntil('the timeout fired and the coins came back', async () => (await runner(worker).load('m8'))?.done === true, 20_000);
    expect(await runner(worker).load('m8')).toMatchObject({ state: { step: 'given-back', reason: 'timeout' } });
    expect(await coins(worker, 'a8')).toBe(40);
  });

  it('two processes advancing one instance at once send each step once and record each answer once', async () => {
    const cfg = config('pm-race');
    const one = closer.add(await createRuntime({ contexts: [pots], config: cfg, workers: false, tuning }));
    const two = closer.add(await createRuntime({ contexts: [pots], config: cfg, workers: false, tuning }));
    await fill(one, 'a6', 100);
    const hold = runner(one) as unknown as { target: (name: string) => unknown };
    const real = hold.target;
    hold.target = () => {
      throw problems.unavailable('not yet');
    };
    await runner(one).begin({ id: 'm6', from: 'a6', to: 'b6', amount: 60 }, { principal: owner });
    hold.target = real;
    await Promise.all([runner(one).advance('m6'), runner(two).advance('m6'), runner(one).advance('m6')]);
    // A send that storage left unanswered (a loaded machine) is the sweep's: advance as it would.
    await waitUntil('the instance is done', async () => {
      await runner(two).advance('m6');
      return (await runner(two).load('m6'))?.done === true;
    });
    const instance = await runner(two).load('m6');
    expect(instance).toMatchObject({ done: true, state: { step: 'done' } });
    const answers = instance!.history.filter((e) => (e.data as { input: { kind: string } }).input.kind === 'answer');
    expect(answers).toHaveLength(2);
    expect([await coins(one, 'a6'), await coins(one, 'b6')]).toEqual([40, 60]);
  });
});
