import { channels, contextApp, defineRoute, problems, type Principal, type Runtime } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { Logger } from 'pino';

export const livePath = '/api/live';

const live = defineRoute({
  method: 'get',
  path: '/',
  tags: ['live'],
  summary: 'Server-Sent Events: a `view` event whenever a projection of the given contexts changes views',
  description:
    'EventSource cannot set headers: send the token as the eventloom_token cookie or as `?access_token=`. ' +
    'Each `view` event carries a ViewChange as JSON; a comment line arrives every 15 s to keep proxies from closing the stream.',
  roles: ['owner', 'admin', 'consumer'],
  request: {
    query: z.object({
      contexts: z
        .string()
        .max(1000, 'at most 1000 characters')
        .regex(/^[a-z0-9]+(,[a-z0-9]+)*$/, 'a comma-separated list of context names')
        .optional()
        .openapi({ example: 'counter,banking', description: 'Defaults to every context the caller may see' }),
      access_token: z.string().optional(),
    }),
  },
  responses: {
    200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
  },
});

function visible(principal: Principal, context: string): boolean {
  if (principal.role !== 'consumer') return true;
  const allowed = principal.contexts ?? [];
  return allowed.includes('*') || allowed.includes(context);
}

/**
 * Turns view-change notices on the bus into SSE. With the Redis bus every gateway
 * instance hears every projection, so it works whichever instance a browser reached.
 */
export function liveRoutes(runtime: Runtime, logger: Logger, options: { heartbeatMs?: number } = {}) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const app = contextApp();
  app.openapi(live, (c) => {
    const principal = c.get('principal');
    if (!principal) throw problems.unauthorized();
    const requested = c.req.valid('query').contexts?.split(',') ?? [...runtime.contexts.keys()].filter((name) => visible(principal, name));
    // Each name once: every name is a bus subscription held as long as the stream is open.
    const repeated = requested.filter((name, i) => requested.indexOf(name) !== i);
    if (repeated.length > 0) throw problems.validation({ contexts: [`names ${[...new Set(repeated)].join(', ')} more than once`] });
    const unknown = requested.filter((name) => !runtime.contexts.has(name));
    if (unknown.length > 0) {
      throw problems.validation({ contexts: [`unknown context ${unknown.join(', ')}`] });
    }
    const refused = requested.filter((name) => !visible(principal, name));
    if (refused.length > 0) throw problems.forbidden(`Your key is not scoped to ${refused.join(', ')}.`);

    return streamSSE(c, async (stream) => {
      const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
      const unsubscribes = await Promise.all(
        requested.map((context) =>
          runtime.bus.subscribe(channels.viewChanged(context), (change) => {
            stream.writeSSE({ event: 'view', data: JSON.stringify(change) }).catch(() => {});
          }),
        ),
      );
      const heartbeat = setInterval(() => {
        stream.write(': heartbeat\n\n').catch(() => {});
      }, heartbeatMs);
      logger.debug({ sub: principal.sub, contexts: requested }, 'live stream opened');
      try {
        // Tells the client its subscriptions are in place: changes from now on will arrive.
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ contexts: requested }) });
        await closed;
      } finally {
        clearInterval(heartbeat);
        await Promise.all(unsubscribes.map((unsubscribe) => unsubscribe().catch(() => {})));
        logger.debug({ sub: principal.sub }, 'live stream closed');
      }
    });
  });
  return app;
}
