/**
 * A context's notification feed as a consumer reads it: pages of CloudEvents with
 * an opaque cursor (long-poll with `wait`), or the same events pushed as
 * Server-Sent Events; and the gateway's other event streams (admin live, views).
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { GatewayClient } from './client.ts';
import type { components, paths } from './gateway-types.ts';

export type CloudEvent = components['schemas']['CloudEvent'];

/** The contexts that publish a feed, as the generated types know them. */
export type FeedContext = { [P in keyof paths]: P extends `/api/${infer C}/feed` ? C : never }[keyof paths];

export interface FeedPage {
  events: CloudEvent[];
  /** Where the next read starts (`after`); also after an empty page. */
  cursor: string;
  /** Nothing newer was in the feed when the page was read. */
  atHead: boolean;
}

export interface FeedRead {
  /** A cursor from an earlier page; absent = from the start. */
  after?: string;
  limit?: number;
  /** Long-poll: seconds the gateway may hold an empty read until something arrives (≤ 30). */
  wait?: number;
  signal?: AbortSignal;
}

/** One page of a context's feed. */
export async function readFeed(client: GatewayClient, context: FeedContext, read: FeedRead = {}): Promise<FeedPage> {
  const query = { ...(read.after !== undefined ? { after: read.after } : {}), ...(read.limit !== undefined ? { limit: read.limit } : {}), ...(read.wait !== undefined ? { wait: read.wait } : {}) };
  const { data, response } = await client.api.GET(`/api/${context}/feed` as '/api/counter/feed', {
    params: { query },
    headers: { accept: 'application/cloudevents-batch+json, application/problem+json' },
    ...(read.signal ? { signal: read.signal } : {}),
  });
  const cursor = response.headers.get('eventloom-cursor');
  if (cursor === null) throw new Error(`the gateway's /api/${context}/feed answered without an Eventloom-Cursor header`);
  return { events: data ?? [], cursor, atHead: response.headers.get('eventloom-at-head') === 'true' };
}

/**
 * Follows a feed by long-polling: yields each page that has events, for as long
 * as the caller iterates (or until `signal` aborts). Keep the last page's cursor
 * to resume later.
 */
export async function* followFeed(client: GatewayClient, context: FeedContext, read: FeedRead = {}): AsyncGenerator<FeedPage> {
  let after = read.after;
  while (!read.signal?.aborted) {
    const page = await readFeed(client, context, { ...read, ...(after !== undefined ? { after } : {}), wait: read.wait ?? 25 });
    after = page.cursor;
    if (page.events.length > 0) yield page;
  }
}

/** One Server-Sent Event: its `event:` name (default `message`), `id:` and data. */
export interface ServerEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** The gateway's event streams. */
export type StreamPath = Extract<keyof paths, `/api/${string}/feed/stream` | '/api/live' | '/api/admin/live'>;

/**
 * Opens one of the gateway's SSE streams and reads it as events; resolves once the
 * gateway has answered 200 (a refusal throws its ProblemError). Heartbeat comments
 * are skipped. Abort `signal` to close it.
 */
export async function openStream(client: GatewayClient, path: StreamPath, options: StreamOptions = {}): Promise<AsyncGenerator<ServerEvent>> {
  return serverEvents(await streamBody(client, path, options));
}

export interface StreamOptions {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** One of the gateway's SSE streams as its raw body, e.g. to pass on to a browser unparsed. */
export async function streamBody(client: GatewayClient, path: StreamPath, options: StreamOptions = {}): Promise<ReadableStream<Uint8Array>> {
  const { data } = await client.api.GET(path as '/api/admin/live', {
    parseAs: 'stream',
    params: { query: options.query ?? {} } as never,
    headers: { accept: 'text/event-stream', ...options.headers },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!data) throw new Error(`the gateway's ${path} answered without a body`);
  return data;
}

/** Reads an SSE body (text/event-stream) as events. */
export async function* serverEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  // The cast: DOM's and Node's typings disagree on what TextDecoderStream's writable side takes.
  const reader = body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      yield { event: next.value.event ?? 'message', id: next.value.id, data: next.value.data };
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * A context's feed pushed as Server-Sent Events, each with the cursor to resume
 * after it (sent again as `after` to pick up where a closed stream stopped).
 */
export async function feedStream(client: GatewayClient, context: FeedContext, options: { after?: string; signal?: AbortSignal } = {}): Promise<AsyncGenerator<{ cursor: string; event: CloudEvent }>> {
  const events = await openStream(client, `/api/${context}/feed/stream` as StreamPath, {
    ...(options.after !== undefined ? { query: { after: options.after } } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return (async function* () {
    for await (const message of events) {
      if (message.event === 'cloudevent') yield { cursor: message.id ?? '', event: JSON.parse(message.data) as CloudEvent };
    }
  })();
}
