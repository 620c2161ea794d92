import { defineContext, defineProcess } from '@eventloom/core';
import { z } from 'zod';

/** An alarm rings once, `afterMs` after it was set: a process with one timer and no commands. */
export const alarm = defineProcess<{ ringing: boolean }, { id: string; afterMs: number }>({
  name: 'alarm',
  context: 'alarms',
  start: { schema: z.object({ id: z.string(), afterMs: z.number().int().nonnegative() }), instance: (input) => input.id },
  initialState: () => ({ ringing: false }),
  timers: ['ring'],
  decide: (state, input) => {
    if (input.kind === 'start') return { state, schedule: [{ timer: 'ring', afterMs: input.data.afterMs }] };
    if (input.kind === 'timer') return { state: { ringing: true }, done: true };
    return { state };
  },
});
export const alarms = defineContext({ name: 'alarms', events: [], aggregates: [], projections: [], processes: [alarm] });

