import { defineRoute, problems, type AppEnv, type ContextRuntime, type IngestItem } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { itemOf, validateAll, type Entry } from './intake.ts';
import { OrderInput } from './order-schema.ts';
import { orderPartition } from './partition.ts';

/** Orders per batch request. */
export const maxBatch = 1_000;

const OrderStored = z
  .object({
    status: z.enum(['stored', 'duplicate']),
    key: z.string().openapi({ description: 'The PaymentTransactionId' }),
    partition: z.string(),
    eventId: z.string().optional().openapi({ description: 'The OrderPlaced event, when this request stored it' }),
  })
  .openapi('OrderStored');

const BatchResult = z
  .object({
    index: z.number().int(),
    status: z.enum(['stored', 'duplicate', 'rejected']),
    key: z.string().optional(),
    eventId: z.string().optional(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .openapi('OrderBatchResult');

const BatchReply = z
  .object({ stored: z.number().int(), duplicates: z.number().int(), rejected: z.number().int(), results: z.array(BatchResult) })
  .openapi('OrderBatchReply');

const placeOrder = defineRoute({
  method: 'post',
  path: '/orders',
  tags: ['orders'],
  roles: ['admin'],
  summary: 'Ingest one order (seed 004 JSON); a re-sent PaymentTransactionId is stored once',
  request: { body: { content: { 'application/json': { schema: OrderInput } }, required: true } },
  responses: {
    201: { description: 'Stored (durable when this answer is sent)', content: { 'application/json': { schema: OrderStored } } },
    200: { description: 'Stored before: a duplicate, not stored again', content: { 'application/json': { schema: OrderStored } } },
    400: { description: 'Invalid order: problem JSON whose `errors` name each field (`Details.0.Quantity`)' },
  },
});

const placeBatch = defineRoute({
  method: 'post',
  path: '/orders/batch',
  tags: ['orders'],
  roles: ['admin'],
  summary: `Ingest up to ${maxBatch} orders: a JSON array, or NDJSON (one order per line)`,
  request: {
    body: {
      content: {
        'application/json': { schema: z.array(z.unknown()).openapi({ description: 'Orders (seed 004 JSON), validated one by one' }) },
        'application/x-ndjson': { schema: z.string().openapi({ description: 'One order JSON per line' }) },
      },
      required: false,
    },
  },
  responses: {
    200: {
      description: 'Per-order results, in request order. Every `stored` order is durable; after a failure, re-send the whole batch (stored ones come back as `duplicate`).',
      content: { 'application/json': { schema: BatchReply } },
    },
    400: { description: 'Not a list of orders, empty, or more than 1,000' },
  },
});

const getOrder = defineRoute({
  method: 'get',
  path: '/orders/{paymentTransactionId}',
  tags: ['orders'],
  roles: ['owner', 'admin', 'consumer'],
  summary: 'One stored order (the OrderPlaced event), by its PaymentTransactionId',
  request: { params: z.object({ paymentTransactionId: z.string().min(1).max(128) }) },
  responses: {
    200: { description: 'The order as stored: the envelope and its data', content: { 'application/json': { schema: z.object({}).passthrough() } } },
    404: { description: 'No order with that id' },
  },
});

async function readBatch(c: Context<AppEnv>): Promise<Entry[]> {
  const type = c.req.header('content-type') ?? '';
  let entries: Entry[];
  if (/^application\/(x-)?ndjson/i.test(type)) {
    const lines = (await c.req.text()).split('\n');
    entries = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        entries.push({ json: JSON.parse(line) });
      } catch {
        entries.push({ unreadable: `line ${i + 1} is not JSON` });
      }
    });
  } else if (/^application\/json/i.test(type)) {
    const body: unknown = await c.req.json();
    if (!Array.isArray(body)) throw problems.validation({ '(body)': ['send a JSON array of orders, or NDJSON'] });
    entries = body.map((json) => ({ json }));
  } else {
    throw problems.validation({ 'Content-Type': ['send application/json (an array) or application/x-ndjson'] });
  }
  if (entries.length === 0) throw problems.validation({ '(body)': ['the batch holds no orders'] });
  if (entries.length > maxBatch) throw problems.validation({ '(body)': [`a batch holds at most ${maxBatch} orders; this one has ${entries.length}`] });
  return entries;
}

async function store(runtime: ContextRuntime, c: Context<AppEnv>, items: IngestItem[]) {
  try {
    return await runtime.ingest(items, { principal: c.get('principal')! });
  } catch (error) {
    if ((error as { problem?: unknown }).problem) throw error;
    runtime.log.error({ err: error, orders: items.length }, 'order ingestion failed');
    throw problems.unavailable('Storing the orders failed part-way. Re-send them all: orders already stored come back as duplicates.');
  }
}

export function orderRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  app.openapi(getOrder, async (c) => {
    const { paymentTransactionId } = c.req.valid('param');
    let event;
    try {
      event = await runtime.readKeyed(orderPartition(paymentTransactionId), paymentTransactionId);
    } catch (error) {
      if (error instanceof RangeError) throw problems.validation({ paymentTransactionId: [error.message] });
      throw error;
    }
    if (!event) throw problems.notFound(`no order ${paymentTransactionId}`);
    return c.json(event as unknown as Record<string, unknown>, 200);
  });
  app.openapi(placeOrder, async (c) => {
    const [result] = await validateAll(runtime, [{ json: c.req.valid('json') }]);
    if (!result!.ok) throw problems.validation(result!.errors, 'The order has invalid fields.');
    const [stored] = await store(runtime, c, [itemOf(result!.order)]);
    const body = { status: stored!.status, key: stored!.key, partition: stored!.partition, ...(stored!.event ? { eventId: stored!.event.id } : {}) };
    return c.json(body, stored!.status === 'stored' ? 201 : 200);
  });

  app.openapi(placeBatch, async (c) => {
    const validations = await validateAll(runtime, await readBatch(c));
    const items: IngestItem[] = [];
    const itemIndex: number[] = [];
    validations.forEach((v, i) => {
      if (!v.ok) return;
      items.push(itemOf(v.order));
      itemIndex.push(i);
    });
    const stored = items.length > 0 ? await store(runtime, c, items) : [];
    const results: z.infer<typeof BatchResult>[] = validations.map((v, index) => (v.ok ? { index, status: 'rejected' } : { index, status: 'rejected', errors: v.errors }));
    stored.forEach((s, j) => {
      const index = itemIndex[j]!;
      results[index] = { index, status: s.status, key: s.key, ...(s.event ? { eventId: s.event.id } : {}) };
    });
    const count = (status: string) => results.filter((r) => r.status === status).length;
    return c.json({ stored: count('stored'), duplicates: count('duplicate'), rejected: count('rejected'), results }, 200);
  });
}
