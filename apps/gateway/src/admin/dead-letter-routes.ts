import { contextApp, defineRoute, parseRunnerKey, problems, type DeadLetter as CoreDeadLetter, type Runtime } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import type { ProjectionMonitor } from './projection-monitor.ts';
import { DeadLetter, json, problem } from './schemas.ts';
import { contextNamed, projectionNamed } from './targets.ts';

const tags = ['admin'];
const roles = ['admin' as const];
const name = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, 'a context or projection name');
/** A letter names the runner that parked it: the projection, or `{projection}~p{partition}` for a partitioned one's. */
const runner = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}(~p[0-9]{1,2})?$/, 'a projection name, or a partitioned projection’s runner (name~p2)');
const Where = z.object({ context: name, projection: runner, seq: z.coerce.number().int().min(1) });

const list = defineRoute({
  method: 'get',
  path: '/dead-letters',
  tags,
  roles,
  summary: 'Events projections parked because their handler kept failing, with the error',
  request: { query: z.object({ context: name.optional(), projection: name.optional() }) },
  responses: { 200: json('Parked, retried and skipped events, newest first', z.object({ items: z.array(DeadLetter) })), 404: problem('No such context or projection') },
});

const resolve = (action: 'retry' | 'skip') =>
  defineRoute({
    method: 'post',
    path: `/dead-letters/{context}/{projection}/{seq}/${action}`,
    tags,
    roles,
    summary: action === 'retry' ? 'Apply a parked event again through the live projection' : 'Leave a parked event out of the view for good',
    request: { params: Where },
    responses: {
      202: json(action === 'retry' ? 'Retry requested; the state becomes retried or parked again' : 'Skipped', DeadLetter),
      404: problem('No such projection or dead letter'),
    },
  });

const retry = resolve('retry');
const skip = resolve('skip');

/** `/api/admin/dead-letters`: see parked events and retry or skip them. */
export function deadLetterRoutes(runtime: Runtime, monitor: ProjectionMonitor) {
  const app = contextApp();

  app.openapi(list, async (c) => {
    const { context, projection } = c.req.valid('query');
    if (projection && !context) throw problems.validation({ context: ['name the context of the projection'] });
    const contexts = context ? [contextNamed(runtime, context)] : [...runtime.contexts.values()];
    if (context && projection) projectionNamed(runtime, context, projection);
    const items = (
      await Promise.all(contexts.map(async (ctx) => (await ctx.deadLetters(projection)).map((letter) => withContext(ctx.name, letter))))
    ).flat();
    items.sort((a, b) => b.at.localeCompare(a.at) || b.seq - a.seq);
    return c.json({ items }, 200);
  });

  for (const [route, action] of [
    [retry, 'retry'],
    [skip, 'skip'],
  ] as const) {
    app.openapi(route, async (c) => {
      const { context, projection, seq } = c.req.valid('param');
      // A partitioned projection's letter names the runner that parked it (`name~p2`).
      const target = projectionNamed(runtime, context, parseRunnerKey(projection).projection);
      await target.context.resolveDeadLetter(projection, seq, action);
      monitor.forget();
      const letter = (await target.context.deadLetters(projection)).find((l) => l.seq === seq);
      if (!letter) throw problems.notFound(`There is no dead letter at ${context}/${projection} seq ${seq}.`);
      return c.json(withContext(context, letter), 202);
    });
  }

  return app;
}

function withContext(context: string, letter: CoreDeadLetter) {
  return { ...letter, context, state: letter.state ?? 'parked', attempts: letter.attempts ?? 1 };
}
