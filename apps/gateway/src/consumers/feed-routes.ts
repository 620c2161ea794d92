import { defineRoute, problems, type AppEnv, type ContextDefinition, type Runtime } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { batchContentType, decodeCursor, encodeCursor, toCloudEvent } from './cloud-event.ts';
import { FeedNotices } from './feed-notices.ts';
import { PublishedFeed, type PublishedPage } from './published-feed.ts';

const maxWaitSeconds = 30;
const readers: ('admin' | 'consumer')[] = ['admin', 'consumer'];

export const CloudEventSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string(),
    source: z.string().openapi({ example: '/eventloom/banking' }),
    type: z.string().openapi({ example: 'banking.Deposited.v1' }),
    subject: z.string().openapi({ description: 'The stream (aggregate instance)' }),
    time: z.string(),
    datacontenttype: z.literal('application/json'),
    data: z.unknown().openapi({ description: 'Full data (state, delta) or a thin notification { id, type, stream, link }' }),
    sequence: z.string().openapi({ description: 'Feed position, zero-padded: sorts as text' }),
    streamversion: z.number().int(),
    correlationid: z.string(),
    causationid: z.string(),
    dataref: z.string().optional().openapi({ description: 'Gateway path of the full resource' }),
  })
  .openapi('CloudEvent');

const cursorParam = z.string().max(40).optional().openapi({ description: 'Opaque cursor from a previous page (Link rel="next"); absent = from the start' });

const feedQuery = z.object({
  after: cursorParam,
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: 'Events per page (default 100)' }),
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(maxWaitSeconds)
    .optional()
    .openapi({ description: 'Long-poll: seconds to hold the request when nothing new is there (≤ 30)' }),
});

const feed = defineRoute({
  method: 'get',
  path: '/feed',
  tags: ['consumers'],
  summary: 'Published events in feed order, as a CloudEvents 1.0 batch; the next cursor is in the Link header',
  description:
    'Only the events the context publishes appear. `Link: <…?after=CURSOR>; rel="next"` and `Eventloom-Cursor` carry the next cursor, ' +
    'also when the page is empty (unpublished events were skipped). `Eventloom-At-Head: true` when the page reaches the end of the feed.',
  roles: readers,
  request: { query: feedQuery },
  responses: {
    200: { description: 'A page of events (possibly empty)', content: { [batchContentType]: { schema: z.array(CloudEventSchema) } } },
    400: { description: 'The cursor is not one this gateway issued' },
  },
});

const feedStream = defineRoute({
  method: 'get',
  path: '/feed/stream',
  tags: ['consumers'],
  summary: 'Server-Sent Events: each published event as `event: cloudevent`, its cursor as the SSE id (resume with Last-Event-ID)',
  roles: readers,
  request: { query: z.object({ after: cursorParam }) },
  responses: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } } },
});

function cursorOrRefuse(cursor: string | undefined): number {
  const seq = decodeCursor(cursor);
  if (seq === undefined) throw problems.validation({ after: ['is not a cursor from this feed'] });
  return seq;
}

/** Adds `/feed` and `/feed/stream` to a context's sub-app (the sub-app already checks the key's scope). */
export function feedRoutes(app: OpenAPIHono<AppEnv>, runtime: Runtime, definition: ContextDefinition): void {
  const published = new PublishedFeed(runtime, definition);
  const types = published.contracts.sources;
  const base = `/api/${definition.name}/feed`;

  app.openapi(feed, async (c) => {
    const query = c.req.valid('query');
    const after = cursorOrRefuse(query.after);
    const limit = query.limit ?? 100;
    const wait = query.wait ?? 0;
    let page: PublishedPage;
    if (wait === 0) {
      page = await published.read(after, limit);
    } else {
      const notices = await FeedNotices.listen(runtime.bus, definition.name, types);
      try {
        const deadline = Date.now() + wait * 1000;
        page = await published.read(after, limit);
        while (page.entries.length === 0 && page.atHead && Date.now() < deadline) {
          if (!(await notices.next(deadline - Date.now(), c.req.raw.signal))) break;
          page = await published.read(page.lastSeq, limit);
        }
      } finally {
        await notices.close();
      }
    }
    const next = encodeCursor(page.lastSeq);
    c.header('Link', `<${base}?after=${next}&limit=${limit}>; rel="next"`);
    c.header('Eventloom-Cursor', next);
    c.header('Eventloom-At-Head', String(page.atHead));
    c.header('Cache-Control', 'no-store');
    return c.body(JSON.stringify(page.entries.map(toCloudEvent)), 200, { 'Content-Type': batchContentType }) as never;
  });

  app.openapi(feedStream, (c) => streamFeed(c, runtime, definition.name, published, types) as never);
}

const heartbeatMs = 15_000;

function streamFeed(c: Context<AppEnv>, runtime: Runtime, context: string, published: PublishedFeed, types: ReadonlySet<string>) {
  let after = cursorOrRefuse(c.req.header('Last-Event-ID') ?? c.req.query('after'));
  return streamSSE(c, async (stream) => {
    const aborted = new AbortController();
    stream.onAbort(() => aborted.abort());
    const notices = await FeedNotices.listen(runtime.bus, context, types);
    try {
      while (!aborted.signal.aborted) {
        const page = await published.read(after, 200);
        for (const item of page.entries) {
          await stream.writeSSE({ event: 'cloudevent', id: encodeCursor(item.entry.seq), data: JSON.stringify(toCloudEvent(item)) });
        }
        after = page.lastSeq;
        if (!page.atHead) continue;
        if (!(await notices.next(heartbeatMs, aborted.signal)) && !aborted.signal.aborted) await stream.write(': heartbeat\n\n');
      }
    } finally {
      await notices.close();
    }
  });
}
