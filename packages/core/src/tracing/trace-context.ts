import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { activeTraceContext } from './telemetry.ts';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): every stored event records
 * the `traceparent` of the work that produced it, sampled or not, so one deposit can be
 * followed from the request through the store, the feed and each consumer. A request
 * runs in a scope holding its own span context: a child of the caller's `traceparent`
 * header when it sent a valid one, else the root of a new, unsampled trace.
 */

export interface TraceContext {
  traceId: string;
  spanId: string;
  /** `01` sampled, `00` not. */
  flags: string;
}

const pattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** A `traceparent` header read as the specification says, or undefined when it is not one. */
export function parseTraceparent(header: string | undefined | null): TraceContext | undefined {
  if (!header || header.length > 512) return undefined;
  const match = pattern.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  // Version ff is invalid; version 00 has exactly four fields; ids of zeros are invalid.
  if (version === 'ff' || (version === '00' && header.trim().length !== 55)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}

export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.flags}`;
}

const hex = (bytes: number) => {
  for (;;) {
    const id = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
};

/** A span of the parent's trace (its sampling kept), or the root of a new unsampled trace. */
export function childOf(parent: TraceContext | undefined): TraceContext {
  return parent ? { traceId: parent.traceId, spanId: hex(8), flags: parent.flags } : { traceId: hex(16), spanId: hex(8), flags: '00' };
}

const scope = new AsyncLocalStorage<TraceContext>();

/** Runs `work` as the span `context` (a request, a delivery): what it stores records it. */
export function withTrace<T>(context: TraceContext, work: () => T): T {
  return scope.run(context, work);
}

/**
 * The `traceparent` an event stored now records: the active OpenTelemetry span's when
 * telemetry is on, else the current scope's, else a new trace's.
 */
export function currentTraceparent(): string {
  return formatTraceparent(activeTraceContext() ?? scope.getStore() ?? childOf(undefined));
}
