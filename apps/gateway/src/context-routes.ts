import { contextApp, defineRoute, problems, type AppEnv, type ContextDefinition, type Runtime } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { feedRoutes } from './consumers/index.ts';

const commandStatusSchema = z
  .object({
    commandId: z.string(),
    context: z.string(),
    state: z.enum(['accepted', 'applied']),
    stream: z.string(),
    eventIds: z.array(z.string()),
    seq: z.number().int().optional(),
  })
  .openapi('CommandStatus');

const commandStatus = defineRoute({
  method: 'get',
  path: '/commands/{commandId}',
  tags: ['commands'],
  summary: 'Where a command is: accepted (in the store) or applied (in every view)',
  roles: ['owner', 'admin', 'consumer'],
  request: { params: z.object({ commandId: z.string().min(1).max(200) }) },
  responses: {
    200: { description: 'The command is known', content: { 'application/json': { schema: commandStatusSchema } } },
    404: { description: 'No command with this id' },
  },
});

/** A consumer key is scoped to some contexts (`*` = all); owners and admins see every context. */
export function contextScope(context: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (principal?.role === 'consumer') {
      const allowed = principal.contexts ?? [];
      if (!allowed.includes('*') && !allowed.includes(context)) {
        throw problems.forbidden(`Your key is not scoped to the ${context} context.`);
      }
    }
    await next();
  };
}

/** `/api/{name}`: the context's own routes plus the ones every context has. */
export function mountContext(app: OpenAPIHono<AppEnv>, runtime: Runtime, context: ContextDefinition): void {
  const contextRuntime = runtime.context(context.name);
  const sub = contextApp();
  sub.use('*', contextScope(context.name));
  context.routes?.(sub, contextRuntime);
  feedRoutes(sub, runtime, context);
  sub.openapi(commandStatus, async (c) => {
    const { commandId } = c.req.valid('param');
    const status = await contextRuntime.commandStatus(commandId);
    if (!status) throw problems.notFound(`No command ${commandId} in ${context.name}.`);
    return c.json(status, 200);
  });
  app.route(`/api/${context.name}`, sub);
}
