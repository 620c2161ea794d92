import { contextApp, defineRoute, problems } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import type { ConsumerKeys } from './consumer-keys.ts';

export const consumerKeysPath = '/api/consumer-keys';

const contextList = z
  .array(z.string().regex(/^(\*|[a-z][a-z0-9]{1,30})$/, 'a context name or *'))
  .min(1, 'name at least one context (or *)')
  .max(50);

export const ConsumerKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    contexts: z.array(z.string()),
    hint: z.string().openapi({ description: 'The first characters of the secret, to recognise it' }),
    createdAt: z.string(),
    createdBy: z.string(),
    revokedAt: z.string().optional(),
  })
  .openapi('ConsumerKey');

const create = defineRoute({
  method: 'post',
  path: '/',
  tags: ['consumers'],
  summary: 'Create a consumer key scoped to some contexts; the secret is in this answer only',
  roles: ['admin'],
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: z.object({ name: z.string().trim().min(1).max(100), contexts: contextList }).strict() } },
    },
  },
  responses: {
    201: {
      description: 'The key and its secret (`elk_…`): send it as `Authorization: Bearer elk_…`. Only its hash is kept.',
      content: { 'application/json': { schema: z.object({ key: ConsumerKeySchema, secret: z.string() }) } },
    },
    400: { description: 'Invalid name or contexts, or an unknown context' },
  },
});

const list = defineRoute({
  method: 'get',
  path: '/',
  tags: ['consumers'],
  summary: 'Every consumer key, newest first, revoked ones included',
  roles: ['admin'],
  responses: { 200: { description: 'The keys', content: { 'application/json': { schema: z.object({ items: z.array(ConsumerKeySchema) }) } } } },
});

const revoke = defineRoute({
  method: 'delete',
  path: '/{id}',
  tags: ['consumers'],
  summary: 'Revoke a key: every gateway refuses it from now on',
  roles: ['admin'],
  request: { params: z.object({ id: z.string().uuid('is not a key id') }) },
  responses: {
    200: { description: 'The revoked key', content: { 'application/json': { schema: ConsumerKeySchema } } },
    404: { description: 'No such key' },
  },
});

/** `/api/consumer-keys`: admins hand out and revoke keys. */
export function consumerKeyRoutes(keys: ConsumerKeys, contextNames: readonly string[]) {
  const app = contextApp();
  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const unknown = body.contexts.filter((name) => name !== '*' && !contextNames.includes(name));
    if (unknown.length > 0) throw problems.validation({ contexts: [`unknown context ${unknown.join(', ')}`] });
    const created = await keys.create(body, c.get('principal')!.sub);
    c.header('Cache-Control', 'no-store');
    return c.json(created, 201);
  });
  app.openapi(list, async (c) => c.json({ items: await keys.list() }, 200));
  app.openapi(revoke, async (c) => {
    const { id } = c.req.valid('param');
    const key = await keys.revoke(id, c.get('principal')!.sub);
    if (!key) throw problems.notFound(`No consumer key ${id}.`);
    return c.json(key, 200);
  });
  return app;
}
