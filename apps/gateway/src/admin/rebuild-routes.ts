import { contextApp, defineRoute, problems, type Runtime } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import type { ProjectionMonitor } from './projection-monitor.ts';
import { rebuildBusy } from './projection-monitor.ts';
import { json, Overview, problem, Rebuild } from './schemas.ts';
import { projectionNamed, rebuildTargets } from './targets.ts';

const tags = ['admin'];
const roles = ['admin' as const];
const name = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/, 'a context or projection name');
const Where = z.object({ context: name, projection: name });

const projections = defineRoute({
  method: 'get',
  path: '/projections',
  tags,
  roles,
  summary: "Every context's projections: checkpoint, lag, events/s, state, generation, dead letters and rebuild",
  responses: { 200: json('Sampled at most once a second', Overview) },
});

const start = defineRoute({
  method: 'post',
  path: '/rebuilds',
  tags,
  roles,
  summary: 'Rebuild one projection, all of a context’s, or all (omit both) into a shadow generation',
  description: 'Readers keep the current view until the shadow has caught up with the live feed; then it is swapped in.',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({
              context: name.optional().openapi({ example: 'banking' }),
              projection: name.optional().openapi({ example: 'balances' }),
            })
            .strict(),
        },
      },
    },
  },
  responses: {
    202: json('Requested; progress arrives on /api/admin/live', z.object({ rebuilds: z.array(Rebuild) })),
    404: problem('No such context or projection; `known` lists them'),
    409: problem('A rebuild of one of them is already running; `running` lists them'),
  },
});

const cancel = defineRoute({
  method: 'delete',
  path: '/rebuilds/{context}/{projection}',
  tags,
  roles,
  summary: 'Cancel a running rebuild: the shadow is dropped, the live view stays',
  request: { params: Where },
  responses: { 202: json('Cancellation requested', Rebuild), 404: problem('No such projection'), 409: problem('No rebuild of it is running') },
});

const status = defineRoute({
  method: 'get',
  path: '/rebuilds/{context}/{projection}',
  tags,
  roles,
  summary: 'The latest rebuild of a projection',
  request: { params: Where },
  responses: { 200: json('The rebuild record', Rebuild), 404: problem('No such projection, or it was never rebuilt') },
});

/** `/api/admin`: the projections overview and rebuild requests. */
export function rebuildRoutes(runtime: Runtime, monitor: ProjectionMonitor) {
  const app = contextApp();

  app.openapi(projections, async (c) => c.json(await monitor.overview(), 200));

  app.openapi(start, async (c) => {
    const targets = rebuildTargets(runtime, c.req.valid('json'));
    const current = await Promise.all(targets.map(async (t) => ({ ...t, record: await t.context.rebuilds.status(t.projection) })));
    const running = current.filter((t) => rebuildBusy(t.record)).map((t) => ({ ...t.record!, context: t.context.name }));
    if (running.length > 0) {
      const names = running.map((r) => `${r.context}/${r.projection} (${r.state})`).join(', ');
      throw problems.conflict(`A rebuild is already under way for ${names}; cancel it or wait for it to finish.`, { running });
    }
    const who = c.get('principal')!.sub;
    const rebuilds = [];
    for (const { context, projection } of targets) {
      rebuilds.push({ ...(await context.rebuilds.request(projection, who)), context: context.name });
    }
    monitor.forget();
    return c.json({ rebuilds }, 202);
  });

  app.openapi(cancel, async (c) => {
    const { context, projection } = c.req.valid('param');
    const target = projectionNamed(runtime, context, projection);
    const record = await target.context.rebuilds.cancel(projection);
    monitor.forget();
    return c.json({ ...record, context }, 202);
  });

  app.openapi(status, async (c) => {
    const { context, projection } = c.req.valid('param');
    const target = projectionNamed(runtime, context, projection);
    const record = await target.context.rebuilds.status(projection);
    if (!record) throw problems.notFound(`${context}/${projection} has never been rebuilt.`);
    return c.json({ ...record, context }, 200);
  });

  return app;
}
