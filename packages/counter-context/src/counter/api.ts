import { answerCommand, defineRoute, problems, type AppEnv, type ContextRuntime } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { counterId } from './decide.ts';

const Counter = z.object({ id: z.string(), value: z.number().int(), updatedAt: z.string() }).openapi('Counter');
const IdParam = z.object({ id: counterId });
const Increment = z.object({ by: z.number().int().min(1).max(1000) }).strict();
const Accepted = z.object({ commandId: z.string(), status: z.enum(['accepted', 'applied']), statusUrl: z.string() }).passthrough();
const CommandHeaders = z.object({
  'idempotency-key': z.string().optional().openapi({ description: 'Applies the command once; a repeat returns the first answer with duplicate: true.' }),
  prefer: z.string().optional().openapi({ description: '`wait=N`: answer 200 once the views show the result (up to N seconds).' }),
});

const list = defineRoute({
  method: 'get',
  path: '/counters',
  roles: ['owner', 'admin', 'consumer'],
  summary: 'All counters',
  responses: { 200: { description: 'Counters', content: { 'application/json': { schema: z.object({ items: z.array(Counter) }) } } } },
});

const one = defineRoute({
  method: 'get',
  path: '/counters/{id}',
  roles: ['owner', 'admin', 'consumer'],
  summary: 'One counter',
  request: { params: IdParam },
  responses: { 200: { description: 'The counter', content: { 'application/json': { schema: Counter } } } },
});

const increment = defineRoute({
  method: 'post',
  path: '/counters/{id}/increment',
  roles: ['owner', 'admin'],
  summary: 'Increment a counter',
  request: { params: IdParam, headers: CommandHeaders, body: { content: { 'application/json': { schema: Increment } }, required: true } },
  responses: {
    200: { description: 'Applied (with Prefer: wait)', content: { 'application/json': { schema: Accepted } } },
    202: { description: 'Accepted', content: { 'application/json': { schema: Accepted } } },
  },
});

const toCounter = (row: Record<string, unknown>) => ({ id: String(row.rowKey), value: Number(row.value), updatedAt: String(row.updatedAt) });

export function routes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  app.openapi(list, async (c) => {
    const page = await runtime.views.query('Counters', { partitionKey: 'counter' });
    return c.json({ items: page.rows.map(toCounter) }, 200);
  });
  app.openapi(one, async (c) => {
    const row = await runtime.views.get('Counters', 'counter', c.req.valid('param').id);
    if (!row) throw problems.notFound(`no counter ${c.req.valid('param').id}`);
    return c.json(toCounter(row), 200);
  });
  app.openapi(increment, async (c) => {
    const { id } = c.req.valid('param');
    const { by } = c.req.valid('json');
    const accepted = await runtime.execute('counter', 'increment', { id, by }, {
      principal: c.get('principal')!,
      ...(c.req.header('Idempotency-Key') ? { idempotencyKey: c.req.header('Idempotency-Key')! } : {}),
    });
    return answerCommand(c, runtime, accepted) as never;
  });
}
