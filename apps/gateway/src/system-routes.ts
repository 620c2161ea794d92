import { contextApp, defineRoute } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import type { Registry } from 'prom-client';
import type { Auth } from './auth/auth.ts';
import type { HealthProbe } from './health.ts';

const healthSchema = z
  .object({
    ok: z.boolean(),
    storage: z.object({ ok: z.boolean(), error: z.string().optional(), latencyMs: z.number().optional() }),
    redis: z.object({ ok: z.boolean(), mode: z.enum(['redis', 'single-process']), error: z.string().optional() }),
    ageMs: z.number().int().nonnegative().openapi({ description: 'How long ago the probe this answer comes from started (one runs at a time; at most about a second old while the gateway answers).' }),
  })
  .openapi('Health');

const health = defineRoute({
  method: 'get',
  path: '/health',
  tags: ['system'],
  summary: 'Storage and Redis reachability',
  roles: 'public',
  responses: {
    200: { description: 'Healthy', content: { 'application/json': { schema: healthSchema } } },
    503: { description: 'Something the runtime needs is down', content: { 'application/json': { schema: healthSchema } } },
  },
});

const metrics = defineRoute({
  method: 'get',
  path: '/metrics',
  tags: ['system'],
  summary: 'Prometheus metrics: HTTP durations, appends, relay and projection lag',
  roles: 'public',
  responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
});

const jwks = defineRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  tags: ['auth'],
  summary: 'The public key tokens are signed with',
  roles: 'public',
  responses: { 200: { description: 'A JSON Web Key Set', content: { 'application/json': { schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) } } } },
});

/** Public operational routes: health, metrics, the signing key. */
export function systemRoutes(registry: Registry, auth: Auth, probe: HealthProbe) {
  const app = contextApp();
  app.openapi(health, async (c) => {
    const { health: result, ageMs } = await probe.current();
    if (!result.ok) c.header('Retry-After', '5');
    return c.json({ ...result, ageMs }, result.ok ? 200 : 503);
  });
  app.openapi(metrics, async (c) => {
    const response = c.text(await registry.metrics(), 200);
    // Prometheus reads the exposition format version from the content type.
    response.headers.set('Content-Type', registry.contentType);
    return response;
  });
  app.openapi(jwks, (c) => c.json(auth.jwks, 200));
  return app;
}
