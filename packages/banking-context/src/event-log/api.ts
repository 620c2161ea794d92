import { cursorParam, defineRoute, EventJourneySchema, limitParam, problems, readPage, withoutKeys, type AppEnv, type ContextRuntime } from '@eventloom/core';
import { odata } from '@azure/data-tables';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { accountEventTypes } from '../account/events.ts';
import { customerId } from '../account/fields.ts';
import { bankId, type BankId } from '../banks.ts';
import { eventLogTable, idRowKey, invertedTime, logPartition, logRange, type LogRange, type LogRow } from './projection.ts';

const readers: ('owner' | 'admin' | 'consumer')[] = ['owner', 'admin', 'consumer'];

export const LogEntry = z
  .object({
    eventId: z.string(),
    type: z.enum(accountEventTypes),
    customer: z.string(),
    bank: bankId,
    bankName: z.string(),
    amountCents: z.number().int(),
    balanceAfterCents: z.number().int().optional(),
    memo: z.string().optional(),
    transferId: z.string().optional().openapi({ description: "The transfer a deposit or an expiry belongs to" }),
    who: z.string(),
    occurredAt: z.string(),
    stream: z.string(),
    version: z.number().int(),
    seq: z.number().int(),
  })
  .openapi('BankingLogEntry');

/** A log row as the API shows it. */
export const toLogEntry = (row: Record<string, unknown>) => withoutKeys(row) as unknown as z.infer<typeof LogEntry>;

const instant = (field: string) => z.iso.datetime({ offset: true, error: `${field} must be an ISO 8601 instant, e.g. 2026-01-31T12:00:00Z` }).optional();

const LogQuery = z
  .object({
    customer: customerId.optional(),
    bank: bankId.optional(),
    type: z.enum(accountEventTypes, { error: `type must be one of ${accountEventTypes.join(', ')}` }).optional(),
    from: instant('from'),
    to: instant('to'),
    limit: limitParam,
    cursor: cursorParam,
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { path: ['to'], message: 'to must not be before from' });

const Envelope = z
  .object({
    id: z.string(),
    type: z.string(),
    schemaVersion: z.number().int(),
    stream: z.string(),
    version: z.number().int(),
    occurredAt: z.string(),
    who: z.string(),
    correlationId: z.string(),
    causationId: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('BankingEvent');

const list = defineRoute({
  method: 'get',
  path: '/events',
  tags: ['banking'],
  roles: readers,
  summary: 'The event log, newest first: filter by customer, bank, type and time; page with the cursor',
  request: { query: LogQuery },
  responses: {
    200: {
      description: 'A page of the log (a page may be short; keep paging while there is a cursor)',
      content: { 'application/json': { schema: z.object({ items: z.array(LogEntry), cursor: z.string().optional() }) } },
    },
  },
});

const eventIdParams = z.object({ eventId: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'eventId must be an event id (a UUID)') });

const one = defineRoute({
  method: 'get',
  path: '/events/{eventId}',
  tags: ['banking'],
  roles: readers,
  summary: 'One event in full: its envelope and data, read from the event store',
  request: { params: eventIdParams },
  responses: {
    200: { description: 'The event', content: { 'application/json': { schema: z.object({ event: Envelope, log: LogEntry }) } } },
    404: { description: 'No banking event with this id' },
  },
});

const journey = defineRoute({
  method: 'get',
  path: '/events/{eventId}/journey',
  tags: ['banking'],
  roles: readers,
  summary: "One event's journey: accepted, stored, placed in the feed, applied by each projection, delivered to each of your webhooks, with times",
  request: { params: eventIdParams },
  responses: {
    200: { description: 'The journey, from the platform’s own records', content: { 'application/json': { schema: EventJourneySchema } } },
    404: { description: 'No banking event with this id' },
  },
});

/** The rows that answer a query: the narrowest listing its filters allow. */
function rangeFor(customer: string | undefined, bank: BankId | undefined): { range: LogRange; filters: string[] } {
  if (customer) return { range: logRange.customer(customer), filters: bank ? [odata`bank eq ${bank}`] : [] };
  if (bank) return { range: logRange.bank(bank), filters: [] };
  return { range: logRange.all, filters: [] };
}

/** A listing's row keys, newest first; `from`/`to` (epoch ms) narrow it to a time range. */
export function logKeyFilter({ prefix, end }: LogRange, from?: number, to?: number): string {
  const lower = to === undefined ? prefix : `${prefix}${invertedTime(to)}`;
  const upper = from === undefined ? end : `${prefix}${invertedTime(from)}.`;
  return odata`RowKey ge ${lower} and RowKey lt ${upper}`;
}

/** The ledger's row of one event, by its id; 404 when there is none. */
async function logRowById(runtime: ContextRuntime, eventId: string): Promise<LogRow> {
  const row = (await runtime.views.get(eventLogTable, logPartition, idRowKey(eventId.toLowerCase()))) as LogRow | undefined;
  if (!row) throw problems.notFound(`No banking event ${eventId}.`);
  return row;
}

export function eventLogRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  app.openapi(list, async (c) => {
    const query = c.req.valid('query');
    const { range, filters } = rangeFor(query.customer, query.bank);
    // Row keys go on with the inverted time: a time range is a row-key range.
    filters.unshift(logKeyFilter(range, query.from ? Date.parse(query.from) : undefined, query.to ? Date.parse(query.to) : undefined));
    if (query.type) filters.push(odata`type eq ${query.type}`);
    const page = await readPage(runtime.views, eventLogTable, {
      partitionKey: logPartition,
      filter: filters.join(' and '),
      limit: query.limit ?? 50,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return c.json({ items: page.rows.map(toLogEntry), ...(page.cursor ? { cursor: page.cursor } : {}) }, 200);
  });

  app.openapi(one, async (c) => {
    const { eventId } = c.req.valid('param');
    const row = await logRowById(runtime, eventId);
    const [event] = await runtime.readStream(row.stream, { fromVersion: row.version, toVersion: row.version });
    if (!event) throw problems.notFound(`Event ${eventId} is in the log but not in the store.`);
    return c.json({ event: event as z.infer<typeof Envelope>, log: toLogEntry(row) }, 200);
  });

  // Read exactly as the event is: the same roles, id and lookup, before any other work.
  app.openapi(journey, async (c) => {
    const { eventId } = c.req.valid('param');
    const row = await logRowById(runtime, eventId);
    const found = await runtime.journey?.({ stream: row.stream, version: row.version, seq: row.seq }, c.get('principal')!);
    if (!found) throw problems.notFound(`Event ${eventId} is in the log but not in the store.`);
    return c.json(found, 200);
  });
}
