import { defineContext, type AppEnv, type ContextRuntime } from '@eventloom/core';
import { Deposited, Withdrawn } from '@eventloom/banking-context/contracts';
import { CategoryCreated, CategoryDeleted, CategoryRenamed, MovieListed, OrderPlaced } from '@eventloom/orders-context/contracts';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { alertRoutes } from './alerts/api.ts';
import { alert } from './alerts/decide.ts';
import { alertDecisions } from './alerts/decisions.ts';
import { AlertDecided } from './alerts/events.ts';
import { crossBankWatch } from './alerts/projection.ts';
import { loadAlertRules, type AlertRules } from './config.ts';
import { orderWindowRoutes } from './order-windows/api.ts';
import { orderWindows } from './order-windows/projection.ts';
import { salesRoutes } from './sales/api.ts';
import { sales } from './sales/projection.ts';

export interface ReportingOptions {
  /** The cross-bank watch's window and tolerance (default: from the environment). */
  alertRules?: AlertRules;
}

/**
 * Seeds 004, 003 and 000: reports over the orders feed (orders per hour, today so
 * far, top movies, popular categories) and cross-bank movement alerts over the
 * banking feed, knowing both only through their published contracts.
 */
export function reportingContext(options: ReportingOptions = {}) {
  const rules = options.alertRules ?? loadAlertRules();
  return defineContext({
    name: 'reporting',
    title: 'Reporting',
    events: [AlertDecided],
    aggregates: [alert],
    projections: [orderWindows, sales, crossBankWatch(rules), alertDecisions],
    contracts: {
      published: [
        {
          event: AlertDecided,
          style: 'state',
          link: (data) => `/alerts/${(data as { alertId: string }).alertId}`,
          description: 'A cross-bank alert was marked investigated or dismissed, with the note.',
        },
      ],
      consumed: [
        { from: 'orders', events: [OrderPlaced.type, MovieListed.type, CategoryCreated.type, CategoryRenamed.type, CategoryDeleted.type] },
        { from: 'banking', events: [Withdrawn.type, Deposited.type] },
      ],
    },
    routes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime) {
      orderWindowRoutes(app, runtime);
      salesRoutes(app, runtime);
      alertRoutes(app, runtime);
    },
  });
}

export default reportingContext();

export { alert, alertDecisions, crossBankWatch, orderWindows, sales };
export { defaultAlertRules, loadAlertRules, type AlertRules } from './config.ts';
