import { contextApp, type Runtime } from '@eventloom/core';
import type { Logger } from 'pino';
import { deadLetterRoutes } from './dead-letter-routes.ts';
import { adminLiveRoutes, type AdminLiveOptions } from './live.ts';
import { ProjectionMonitor } from './projection-monitor.ts';
import { rebuildRoutes } from './rebuild-routes.ts';

export const adminPath = '/api/admin';

/**
 * `/api/admin` (role admin): projections with their lag, rate and state, view
 * rebuilds (start, cancel, status), dead letters (list, retry, skip) and a live
 * stream of rebuild progress and projection figures.
 */
export function adminRoutes(runtime: Runtime, logger: Logger, options: AdminLiveOptions = {}) {
  const monitor = new ProjectionMonitor(runtime, logger, options.statsMs);
  const app = contextApp();
  app.route('/', rebuildRoutes(runtime, monitor));
  app.route('/', deadLetterRoutes(runtime, monitor));
  app.route('/', adminLiveRoutes(runtime, monitor, logger, options));
  return app;
}
