import { seqKey, type FeedEntry, type PublishedContract } from '@eventloom/core';
import { CloudEvent } from 'cloudevents';
import type { PublishedEntry } from './published-feed.ts';

export const batchContentType = 'application/cloudevents-batch+json';
export const eventContentType = 'application/cloudevents+json';

/** What a thin notification carries: enough to know what happened and where to read it. */
export interface NotificationData {
  id: string;
  type: string;
  stream: string;
  /** Gateway path of the full resource; fetch it with a key scoped to the context. */
  link?: string;
}

/** `{context}.{Type}.v{schemaVersion}`: the version in the type, so a breaking change is a new type. */
export function cloudEventType(context: string, type: string, version: number): string {
  return `${context}.${type}.v${version}`;
}

export function cloudEventSource(context: string): string {
  return `/eventloom/${context}`;
}

/** The full resource behind an event, as a gateway path (`/api/banking/customers/U1001`). */
export function linkOf(context: string, contract: PublishedContract, entry: FeedEntry): string | undefined {
  const path = contract.link?.(entry.data, entry.stream, entry);
  return path ? `/api/${context}${path.startsWith('/') ? path : `/${path}`}` : undefined;
}

/** What the contract lets consumers see of an event's data. */
export function publishedData(context: string, contract: PublishedContract, entry: FeedEntry): unknown {
  if (contract.style !== 'notification') return entry.data;
  const link = linkOf(context, contract, entry);
  const thin: NotificationData = { id: entry.id, type: entry.type, stream: entry.stream, ...(link ? { link } : {}) };
  return thin;
}

/**
 * One published feed entry as a CloudEvents 1.0 event. Extension attributes follow
 * CloudEvents' own extensions where one exists: `sequence` (zero-padded, so it sorts
 * as text), `correlationid`/`causationid`, `dataref` (the link) and `traceparent`
 * (the distributed tracing extension: the trace of the work that stored the event).
 */
export function toCloudEvent({ context, contract, entry }: PublishedEntry): CloudEvent<unknown> {
  const link = linkOf(context, contract, entry);
  return new CloudEvent({
    specversion: '1.0',
    id: entry.id,
    source: cloudEventSource(context),
    type: cloudEventType(context, entry.type, entry.schemaVersion),
    subject: entry.stream,
    time: entry.occurredAt,
    datacontenttype: 'application/json',
    data: publishedData(context, contract, entry),
    sequence: seqKey(entry.seq),
    streamversion: entry.version,
    correlationid: entry.correlationId,
    causationid: entry.causationId,
    // CloudEvents' distributed tracing extension: the trace of the work that stored the event.
    ...(entry.traceparent ? { traceparent: entry.traceparent } : {}),
    ...(link ? { dataref: link } : {}),
  });
}

/** Cursors are opaque to consumers: base64url of the last feed seq they have seen. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`s${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return 0;
  const match = /^s(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}
