import type { ContainerClient } from '@azure/storage-blob';
import type { EventEnvelope } from '../events/envelope.ts';

/**
 * How an event is laid out as table columns. Short column names keep rows small;
 * the same layout serves the event store and the feed.
 */
export interface EventColumns {
  id: string;
  type: string;
  sv: number;
  s: string;
  v: number;
  at: string;
  who: string;
  cor: string;
  cau: string;
  /** W3C traceparent of the work that stored it. */
  tp?: string;
  /** JSON of the data, or absent when the body was moved to Blob. */
  data?: string;
  /** Blob name holding the data when it was too large for a row (claim check). */
  claim?: string;
  /** For events of a keyed commit: the commit's position in its partition. */
  p?: number;
}

/** The row that records a keyed commit: which keys it stored, in order. */
export interface CommitColumns {
  kind: 'commit';
  /** JSON array of the keys in this commit. */
  keys: string;
  at: string;
}

/** Table properties hold at most 64 KiB (32K UTF-16 chars); stay well below. */
export const inlineDataLimit = 30_000;

export function claimName(eventId: string): string {
  return `claims/${eventId}.json`;
}

/** Columns for an envelope, moving a large body to Blob first (before the row exists). */
export async function toColumns(event: EventEnvelope, container: () => Promise<ContainerClient>): Promise<EventColumns> {
  const json = JSON.stringify(event.data ?? null);
  const columns: EventColumns = {
    id: event.id,
    type: event.type,
    sv: event.schemaVersion,
    s: event.stream,
    v: event.version,
    at: event.occurredAt,
    who: event.who,
    cor: event.correlationId,
    cau: event.causationId,
    ...(event.traceparent ? { tp: event.traceparent } : {}),
  };
  if (json.length <= inlineDataLimit) return { ...columns, data: json };
  const name = claimName(event.id);
  const blob = (await container()).getBlockBlobClient(name);
  await blob.upload(json, Buffer.byteLength(json), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  return { ...columns, claim: name };
}

export async function fromColumns(row: EventColumns, container: () => Promise<ContainerClient>): Promise<EventEnvelope> {
  let data: unknown;
  if (row.claim) {
    const buffer = await (await container()).getBlockBlobClient(row.claim).downloadToBuffer();
    data = JSON.parse(buffer.toString('utf8'));
  } else {
    data = JSON.parse(row.data ?? 'null');
  }
  return {
    id: row.id,
    type: row.type,
    schemaVersion: Number(row.sv),
    stream: row.s,
    version: Number(row.v),
    occurredAt: row.at,
    who: row.who,
    correlationId: row.cor,
    causationId: row.cau,
    ...(row.tp ? { traceparent: row.tp } : {}),
    data,
  };
}

/** Approximate size a row adds to a batch request (UTF-16 worst case plus overhead). */
export function rowWeight(columns: EventColumns): number {
  return 2 * ((columns.data?.length ?? 0) + 400);
}
