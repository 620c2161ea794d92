import { contextApp, defineRoute, problems } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import { setCookie } from 'hono/cookie';
import { tokenLifetimeSeconds, type Auth } from './auth.ts';
import { tokenCookie } from './authenticate.ts';
import { clientAddress, type Quotas } from '../quotas.ts';

export const principalSchema = z
  .object({
    sub: z.string(),
    role: z.enum(['owner', 'admin', 'consumer']),
    name: z.string().optional(),
    bank: z.string().optional(),
    contexts: z.array(z.string()).optional(),
  })
  .openapi('Principal');

const signIn = defineRoute({
  method: 'post',
  path: '/token',
  tags: ['auth'],
  summary: 'Sign in with a local account',
  roles: 'public',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }).strict(),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'A bearer token valid for 8 hours (also set as the eventloom_token cookie).',
      content: {
        'application/json': {
          schema: z.object({ token: z.string(), expiresAt: z.string(), principal: principalSchema }).openapi('IssuedToken'),
        },
      },
    },
    401: { description: 'Unknown user or wrong password' },
    429: { description: 'Too many failed sign-ins for the account or from the address (Retry-After says when to try again)' },
  },
});

const me = defineRoute({
  method: 'get',
  path: '/me',
  tags: ['auth'],
  summary: 'Who the token belongs to',
  roles: ['owner', 'admin', 'consumer'],
  responses: { 200: { description: 'The caller', content: { 'application/json': { schema: principalSchema } } } },
});

/** `/auth`: sign-in and who-am-I. */
export function authRoutes(auth: Auth, quotas?: Quotas) {
  const app = contextApp();
  app.openapi(signIn, async (c) => {
    const { username, password } = c.req.valid('json');
    const address = clientAddress(c);
    await quotas?.beforeSignIn(username, address);
    const issued = await auth.signIn(username, password);
    if (!issued) {
      await quotas?.signInFailed(username, address);
      throw problems.unauthorized('Unknown user or wrong password.');
    }
    await quotas?.signInSucceeded(username);
    setCookie(c, tokenCookie, issued.token, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: tokenLifetimeSeconds,
      secure: new URL(c.req.url).protocol === 'https:',
    });
    return c.json(issued, 200);
  });
  app.openapi(me, (c) => {
    const principal = c.get('principal');
    if (!principal) throw problems.unauthorized();
    return c.json(principal, 200);
  });
  return app;
}
