import { odata } from '@azure/data-tables';
import { defineRoute, problems, type AppEnv, type ContextRuntime, type ViewRow } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { count } from '../numbers.ts';
import { readers } from '../roles.ts';
import { addHours, dayKey, hourKey, hourStart, hoursBetween, startOfHour } from '../time.ts';
import { readAll } from '../views.ts';
import { dayPartition, hourPartition } from './projection.ts';

/** The longest range one hourly request covers. */
export const maxHours = 31 * 24;

const Window = z.object({
  orders: z.number().int(),
  revenueCents: z.number().int().openapi({ description: 'Sum of the orders’ totals, in cents' }),
  quantity: z.number().int().openapi({ description: 'Items ordered' }),
});
const Hour = Window.extend({ hour: z.string().openapi({ description: 'Start of the hour (UTC)', example: '2026-03-01T14:00:00.000Z' }) }).openapi('OrdersHour');
const Today = Window.extend({
  day: z.string().openapi({ example: '2026-03-01', description: 'Today (UTC)' }),
  thisHour: Hour,
  asOf: z.string(),
}).openapi('OrdersToday');

const instant = z.iso.datetime({ offset: true }).openapi({ example: '2026-03-01T00:00:00Z' });

const hourly = defineRoute({
  method: 'get',
  path: '/orders/hourly',
  tags: ['reporting'],
  roles: readers,
  reveals: ['orders'],
  summary: 'Orders per hour by order time (tumbling hourly windows), every hour of [from, to) even if empty',
  request: {
    query: z.object({
      from: instant.optional().openapi({ description: 'Default: 23 hours before the current hour' }),
      to: instant.optional().openapi({ description: 'Default: the end of the current hour' }),
    }),
  },
  responses: {
    200: { description: 'Hours, oldest first', content: { 'application/json': { schema: z.object({ from: z.string(), to: z.string(), items: z.array(Hour) }) } } },
    400: { description: '`from` not before `to`, or more than 31 days' },
  },
});

const today = defineRoute({
  method: 'get',
  path: '/orders/today',
  tags: ['reporting'],
  roles: readers,
  reveals: ['orders'],
  summary: 'Today so far (UTC): orders, revenue, and the current hour',
  responses: { 200: { description: 'The day summary', content: { 'application/json': { schema: Today } } } },
});

const windowOf = (row: ViewRow | undefined) => ({
  orders: count(row, 'orders'),
  revenueCents: count(row, 'revenueCents'),
  quantity: count(row, 'quantity'),
});

export function orderWindowRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  app.openapi(hourly, async (c) => {
    const query = c.req.valid('query');
    const now = new Date();
    const to = query.to ? new Date(query.to) : addHours(startOfHour(now), 1);
    const from = query.from ? new Date(query.from) : addHours(to, -24);
    if (from >= to) throw problems.validation({ from: ['must be before to'] });
    // Bounded before any work: the hours are listed only once the range is known to be short.
    if (to.getTime() - startOfHour(from).getTime() > maxHours * 3_600_000) {
      throw problems.validation({ from: [`the range may cover at most ${maxHours} hours (31 days)`] });
    }
    const keys = hoursBetween(from, to);
    const rows = await readAll(runtime.views, 'OrderWindows', {
      partitionKey: hourPartition,
      filter: odata`RowKey ge ${keys[0]!} and RowKey le ${keys.at(-1)!}`,
    });
    const byHour = new Map(rows.map((row) => [row.rowKey, row]));
    const items = keys.map((key) => ({ hour: hourStart(key).toISOString(), ...windowOf(byHour.get(key)) }));
    return c.json({ from: from.toISOString(), to: to.toISOString(), items }, 200);
  });

  app.openapi(today, async (c) => {
    const now = new Date();
    const [day, hour] = await Promise.all([
      runtime.views.get('OrderWindows', dayPartition, dayKey(now)),
      runtime.views.get('OrderWindows', hourPartition, hourKey(now)),
    ]);
    return c.json(
      {
        day: dayKey(now),
        ...windowOf(day),
        thisHour: { hour: startOfHour(now).toISOString(), ...windowOf(hour) },
        asOf: now.toISOString(),
      },
      200,
    );
  });
}
