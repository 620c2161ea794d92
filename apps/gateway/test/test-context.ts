/** A tiny context written the way real ones are: defineContext, defineRoute, answerCommand. */
import { answerCommand, defineAggregate, defineContext, defineEvent, defineRoute } from '@eventloom/core';
import { z } from '@hono/zod-openapi';

const Incremented = defineEvent('Incremented', { schema: z.object({ by: z.number().int() }) });

const tally = defineAggregate({
  name: 'tally',
  initialState: () => ({ value: 0 }),
  evolve: (state, event) => ({ value: state.value + (event.data as { by: number }).by }),
  commands: {
    increment: {
      schema: z.object({ by: z.number().int().positive() }),
      stream: () => 'tally-1',
      decide: (input: { by: number }) => [Incremented(input)],
    },
  },
});

const incrementBody = z.object({ by: z.number().int().positive().max(1000) }).strict();
const commandReplySchema = z.object({ commandId: z.string(), status: z.enum(['accepted', 'applied']), statusUrl: z.string() }).passthrough();

const increment = defineRoute({
  method: 'post',
  path: '/increments',
  summary: 'Add to the tally',
  roles: ['owner', 'admin'],
  request: { body: { required: true, content: { 'application/json': { schema: incrementBody } } } },
  responses: {
    200: { description: 'Applied', content: { 'application/json': { schema: commandReplySchema } } },
    202: { description: 'Accepted', content: { 'application/json': { schema: commandReplySchema } } },
  },
});

const reset = defineRoute({
  method: 'delete',
  path: '/tallies/{id}',
  summary: 'Admins only',
  roles: ['admin'],
  request: { params: z.object({ id: z.string() }) },
  responses: { 204: { description: 'Gone' } },
});

const about = defineRoute({
  method: 'get',
  path: '/about',
  summary: 'Public on purpose',
  roles: 'public',
  responses: { 200: { description: 'Hello', content: { 'application/json': { schema: z.object({ name: z.string() }) } } } },
});

export const testContext = defineContext({
  name: 'tally',
  events: [Incremented],
  aggregates: [tally],
  projections: [],
  routes: (app, runtime) => {
    app.openapi(increment, async (c) => {
      const input = c.req.valid('json');
      const principal = c.get('principal')!;
      return answerCommand(c, runtime, await runtime.execute('tally', 'increment', input, { principal })) as never;
    });
    app.openapi(reset, (c) => c.body(null, 204));
    app.openapi(about, (c) => c.json({ name: 'tally' }, 200));
  },
});
