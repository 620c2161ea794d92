/** Meters bumped by commands, and a context whose view fails on a bump of 13 until the test fixes it: its events park as dead letters. */
import { z } from 'zod';
import { defineAggregate } from '../src/command/define-aggregate.ts';
import { defineContext, type ContextDefinition } from '../src/context/define-context.ts';
import { defineEvent } from '../src/events/define-event.ts';
import { defineProjection } from '../src/projection/define-projection.ts';

export const Bumped = defineEvent('Bumped', { schema: z.object({ meterId: z.string(), by: z.number().int() }) });
export const meter = defineAggregate({
  name: 'meter',
  initialState: () => ({}),
  evolve: (state: object) => state,
  commands: {
    bump: {
      schema: z.object({ id: z.string(), by: z.number().int() }),
      stream: (input: { id: string }) => `meter-${input.id}`,
      decide: (input: { id: string; by: number }) => [Bumped({ meterId: input.id, by: input.by })],
    },
  },
});

/** The context `name` with view `meters` (table `Meters`: each meter's last bump); `fix()` makes 13 apply. */
export function unluckyMeters(name: string): { context: ContextDefinition; fix(fixed?: boolean): void } {
  let fixed = false;
  const meters = defineProjection({
    name: 'meters',
    tables: ['Meters'],
    handles: ['Bumped'],
    async apply(entry, { view }) {
      const data = entry.data as { meterId: string; by: number };
      if (data.by === 13 && !fixed) throw new Error('unlucky thirteen');
      view('Meters').put({ partitionKey: 'meter', rowKey: data.meterId, value: data.by });
    },
  });
  return { context: defineContext({ name, events: [Bumped], aggregates: [meter], projections: [meters] }), fix: (value = true) => void (fixed = value) };
}
