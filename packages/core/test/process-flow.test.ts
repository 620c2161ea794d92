import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineProcess, stepKey, type ProcessCommand } from '../src/process/define-process.ts';
import { accepted, advance, processFlow, refused, started } from '../src/testing/process-flow.ts';

/** A small orchestration: take at A, give at B, give back at A when B refuses or is silent. */
interface Move {
  step: 'new' | 'taking' | 'giving' | 'giving-back' | 'done' | 'rejected' | 'given-back';
  id?: string;
  amount?: number;
  reason?: string;
}

const take = (id: string, amount: number): ProcessCommand => ({ step: 'take', context: 'a', aggregate: 'pot', command: 'take', input: { id, amount } });
const give = (id: string, amount: number): ProcessCommand => ({ step: 'give', context: 'b', aggregate: 'pot', command: 'give', input: { id, amount } });
const giveBack = (id: string, amount: number): ProcessCommand => ({ step: 'give-back', context: 'a', aggregate: 'pot', command: 'give', input: { id, amount } });

const move = defineProcess<Move, { id: string; amount: number }>({
  name: 'move',
  context: 'a',
  start: { schema: z.object({ id: z.string(), amount: z.number().int().positive() }), instance: (input) => input.id },
  initialState: () => ({ step: 'new' }),
  timers: ['giveTimeout'],
  decide: (state, input) => {
    if (input.kind === 'start') return { state: { step: 'taking', ...input.data }, send: [take(input.data.id, input.data.amount)] };
    const { id = '', amount = 0 } = state;
    if (state.step === 'taking' && input.kind === 'answer') {
      if (input.outcome === 'refused') return { state: { ...state, step: 'rejected', reason: input.code }, done: true };
      return { state: { ...state, step: 'giving' }, send: [give(id, amount)], schedule: [{ timer: 'giveTimeout', afterMs: 30_000 }] };
    }
    if (state.step === 'giving' && input.kind === 'answer' && input.step === 'give') {
      if (input.outcome === 'accepted') return { state: { ...state, step: 'done' }, cancel: ['giveTimeout'], done: true };
      return { state: { ...state, step: 'giving-back', reason: input.code }, cancel: ['giveTimeout'], send: [giveBack(id, amount)] };
    }
    if (state.step === 'giving' && input.kind === 'timer') return { state: { ...state, step: 'giving-back', reason: 'timeout' }, send: [giveBack(id, amount)] };
    if (state.step === 'giving-back' && input.kind === 'answer' && input.step === 'give-back') return { state: { ...state, step: 'given-back' }, done: true };
    return { state };
  },
});

const request = { id: 't1', amount: 500 };

describe('given/when/then for processes', () => {
  it('follows an instance from its start: the command it sends, then the next step and its timer', () => {
    processFlow(move).given([]).when(started(request)).then({ send: [take('t1', 500)], state: { step: 'taking' } });
    processFlow(move)
      .given([started(request)])
      .when(accepted('take'))
      .then({ send: [give('t1', 500)], schedule: [{ timer: 'giveTimeout', afterMs: 30_000 }], done: false });
  });

  it('skips time: nothing fires before the timer is due, the timer fires when it is, and its decision follows', () => {
    const flow = processFlow(move).given([started(request), accepted('take')]);
    expect(flow.pendingTimers.get('giveTimeout')).toEqual(new Date('2026-01-01T00:00:30Z'));
    flow.when(advance(29_999)).then({ fired: [], send: [] });
    flow.when(advance(1)).then({ fired: ['giveTimeout'], send: [giveBack('t1', 500)], state: { step: 'giving-back', reason: 'timeout' } });
    expect(flow.pendingTimers.size).toBe(0);
  });

  it('a cancelled timer never fires; a finished instance decides nothing more', () => {
    const flow = processFlow(move).given([started(request), accepted('take')]);
    flow.when(accepted('give')).then({ cancel: ['giveTimeout'], done: true, state: { step: 'done' } });
    flow.when(advance(60_000)).then({ fired: [], send: [] });
    expect(flow.done).toBe(true);
  });

  it('compensates a refusal, and says which part of an expectation failed', () => {
    const outcome = processFlow(move).given([started(request), accepted('take')]).when(refused('give', 'frozen'));
    outcome.then({ send: [giveBack('t1', 500)], state: { step: 'giving-back', reason: 'frozen' } });
    expect(() => outcome.then({ send: [give('t1', 500)] })).toThrow(/send: expected[\s\S]*"step": "give"[\s\S]*but got[\s\S]*"step": "give-back"/);
    expect(() => outcome.then({ state: { reason: 'timeout' } })).toThrow(/state.reason: expected "timeout" but got "frozen"/);
  });

  it('refuses what a real instance could not meet: an answer to a step never sent, a second answer, a timer not pending', () => {
    const flow = processFlow(move).given([started(request)]);
    expect(() => flow.when(accepted('give'))).toThrow(/an answer to step give, which it never sent \(sent: take\)/);
    flow.when(accepted('take'));
    expect(() => flow.when(accepted('take'))).toThrow(/step take was answered already/);
    expect(() => processFlow(move).given([started(request)]).when({ kind: 'timer', timer: 'giveTimeout' })).toThrow(/timer giveTimeout fired but is not pending/);
  });

  it('validates the start input with the process schema, and names the instance from it', () => {
    expect(() => processFlow(move).when(started({ id: 't2', amount: -1 }))).toThrow(/amount/);
    expect(stepKey('move', 't1', 'give')).toBe('move:t1:give');
  });

  it('catches a decision that sends one step twice or schedules a timer the process does not declare', () => {
    const sloppy = defineProcess<{ n: number }, { id: string }>({
      name: 'sloppy',
      context: 'a',
      start: { schema: z.object({ id: z.string() }), instance: (input) => input.id },
      initialState: () => ({ n: 0 }),
      timers: ['ok'],
      decide: (state, input) =>
        input.kind === 'start'
          ? { state, send: [take('x', 1)], schedule: [{ timer: 'other', afterMs: 1 }] }
          : { state, send: [take('x', 1)] },
    });
    expect(() => processFlow(sloppy).when(started({ id: 's' }))).toThrow(/timer other is not one of its timers \(ok\)/);
    const flow = processFlow({ ...sloppy, timers: undefined }).given([started({ id: 's' })]);
    expect(() => flow.when(accepted('take'))).toThrow(/step take sent twice/);
    expect(() => defineProcess({ ...sloppy, name: 'Bad Name' })).toThrow(/process name "Bad Name"/);
  });
});
