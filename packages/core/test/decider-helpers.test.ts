import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate } from '../src/command/define-aggregate.ts';
import { defineEvent } from '../src/events/define-event.ts';
import type { EventEnvelope } from '../src/events/envelope.ts';
import { problems } from '../src/http/problem.ts';
import { decider } from '../src/testing/given.ts';

const Added = defineEvent('Added', { schema: z.object({ by: z.number() }) });
const jar = defineAggregate({
  name: 'jar',
  initialState: () => ({ coins: 0 }),
  evolve: (state: { coins: number }, event: EventEnvelope) => ({ coins: state.coins + (event.data as { by: number }).by }),
  commands: {
    add: {
      schema: z.object({ by: z.number().int().positive(), note: z.string().max(5).optional() }).strict(),
      stream: () => 'jar-1',
      decide: (input: { by: number }, state: { coins: number }) => {
        if (state.coins + input.by > 10) throw problems.rejected('jar-full', `the jar holds ${state.coins} of 10`, 'by');
        return [Added({ by: input.by })];
      },
    },
  },
});

describe('given/when/then for every outcome of a command', () => {
  it('thenRejects passes on the named refusal and fails, saying what happened, on anything else', () => {
    decider(jar).given([Added({ by: 9 })]).when('add', { by: 2 }).thenRejects('jar-full');
    expect(() => decider(jar).given([]).when('add', { by: 2 }).thenRejects('jar-full')).toThrow(/expected a refusal jar-full, but the command met events \[\s*\{\s*"type": "Added"/);
    expect(() => decider(jar).given([Added({ by: 9 })]).when('add', { by: 2 }).thenRejects('jar-empty')).toThrow('expected a refusal jar-empty, but the command met a refusal jar-full (422): the jar holds 9 of 10');
    expect(() => decider(jar).given([]).when('add', { by: -1 }).thenRejects('jar-full')).toThrow(/expected a refusal jar-full, but the command met an invalid input: by: /);
  });

  it('thenInvalid passes on an invalid input (at the named field) and fails when the command is decided or refused', () => {
    decider(jar).given([]).when('add', { by: 0 }).thenInvalid('by');
    decider(jar).given([]).when('add', { by: 1, note: 'far too long' }).thenInvalid('note');
    decider(jar).given([]).when('add', { by: 1, extra: true }).thenInvalid('extra');
    decider(jar).given([]).when('add', { by: 'x' }).thenInvalid();
    expect(() => decider(jar).given([]).when('add', { by: 1 }).thenInvalid()).toThrow(/expected an invalid input, but the command met events/);
    expect(() => decider(jar).given([]).when('add', { by: 0 }).thenInvalid('note')).toThrow(/expected an invalid input at note, but the command met an invalid input: by: /);
    expect(() => decider(jar).given([Added({ by: 10 })]).when('add', { by: 1 }).thenInvalid()).toThrow(/but the command met a refusal jar-full/);
  });

  it('then and thenThrows say what an invalid input was instead of a raw schema error; thenThrows matches it as validation', () => {
    expect(() => decider(jar).given([]).when('add', { by: 0 }).then([])).toThrow(/expected the command to be decided, but it met an invalid input: by: /);
    decider(jar).given([]).when('add', { by: 0 }).thenThrows('validation');
    decider(jar).given([Added({ by: 10 })]).when('add', { by: 1 }).thenThrows('jar-full');
    expect(() => decider(jar).given([]).when('add', { by: 1 }).thenThrows('jar-full')).toThrow(/expected a refusal but got events/);
  });
});
