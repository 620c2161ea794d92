import { defineAggregate, problems, type EventEnvelope } from '@eventloom/core';
import { z } from 'zod';
import { Incremented } from './events.ts';

export const counterId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1-64 letters, digits, _ or -');

export interface CounterState {
  value: number;
}

/** Counters stop here, to show a domain refusal. */
export const counterLimit = 1_000_000;

export const counter = defineAggregate({
  name: 'counter',
  initialState: (): CounterState => ({ value: 0 }),
  evolve: (state: CounterState, event: EventEnvelope): CounterState => {
    if (event.type === Incremented.type) return { value: state.value + (event.data as { by: number }).by };
    return state;
  },
  commands: {
    increment: {
      schema: z.object({ id: counterId, by: z.number().int().min(1).max(1000) }).strict(),
      stream: (input: { id: string }) => `counter-${input.id}`,
      decide: (input: { id: string; by: number }, state: CounterState) => {
        if (state.value + input.by > counterLimit) {
          throw problems.rejected('counter-limit', `a counter stops at ${counterLimit}`, 'by');
        }
        return [Incremented({ counterId: input.id, by: input.by })];
      },
    },
  },
});
