import { channels, contextApp, defineRoute, type RebuildProgress, type Runtime } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { Logger } from 'pino';
import type { ProjectionMonitor } from './projection-monitor.ts';

export interface AdminLiveOptions {
  /** How often the projections overview is sent (default 1 s). */
  statsMs?: number;
  /** Comment lines that keep proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
}

const live = defineRoute({
  method: 'get',
  path: '/live',
  tags: ['admin'],
  summary: 'Server-Sent Events: rebuild progress of every context and the projections overview every second',
  description:
    '`event: ready` once subscribed; `event: rebuild` with a Rebuild (state, done, total, eventsPerSecond, etaSeconds) whenever a rebuild moves; ' +
    '`event: projections` with the ProjectionsOverview every second. Send the token as a bearer header or the eventloom_token cookie.',
  roles: ['admin'],
  responses: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } } },
});

export function adminLiveRoutes(runtime: Runtime, monitor: ProjectionMonitor, logger: Logger, options: AdminLiveOptions = {}) {
  const statsMs = options.statsMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const app = contextApp();

  app.openapi(live, (c) =>
    streamSSE(c, async (stream) => {
      const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
      const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data) }).catch(() => {});
      const unsubscribes = await Promise.all(
        [...runtime.contexts.keys()].map((context) =>
          runtime.bus.subscribe(channels.rebuild(context), (message) => {
            const progress = message as RebuildProgress;
            monitor.heardProgress(progress);
            if (progress.id) void send('rebuild', progress);
          }),
        ),
      );
      let sending = false;
      const sendOverview = async () => {
        if (sending) return;
        sending = true;
        try {
          await send('projections', await monitor.overview());
        } catch (error) {
          logger.warn({ err: (error as Error).message }, 'projections overview not sent');
        } finally {
          sending = false;
        }
      };
      const stats = setInterval(() => void sendOverview(), statsMs);
      const heartbeat = setInterval(() => void stream.write(': heartbeat\n\n').catch(() => {}), heartbeatMs);
      try {
        await send('ready', { contexts: [...runtime.contexts.keys()] });
        await sendOverview();
        await closed;
      } finally {
        clearInterval(stats);
        clearInterval(heartbeat);
        await Promise.all(unsubscribes.map((unsubscribe) => unsubscribe().catch(() => {})));
      }
    }),
  );
  return app;
}
