import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent, type TraceContext } from './trace-context.ts';

/*
 * OpenTelemetry, configured by the standard `OTEL_*` variables and off unless they ask
 * for an exporter. Off, every helper here runs its work and nothing else (no span
 * objects, no context switches). On, the work of a request is one trace (request →
 * decide → append), and each asynchronous step (relay placement, projection apply,
 * webhook delivery, reaction, process, retry) starts a trace of its own **linked** to
 * the contexts of the events it handles: a replay or a redelivery never grows the
 * trace that produced the event.
 */

let on = false;
const tracer = () => trace.getTracer('eventloom');

/** Links a span may carry (OpenTelemetry's own default limit is 128). */
export const maxLinks = 64;

export interface Telemetry {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

/** Whether the environment asks for telemetry: an exporter named, or an OTLP endpoint given. */
export function telemetryWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporters) return exporters.split(',').some((name) => name.trim() !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Starts the OpenTelemetry Node SDK when the environment asks for it (exporters, sampler,
 * resource and endpoints all from `OTEL_*` in `process.env`, where the SDK reads them);
 * the SDK is loaded only then.
 */
export async function startTelemetry(serviceName: string): Promise<Telemetry> {
  const env = process.env;
  if (!telemetryWanted(env)) return { enabled: false, shutdown: async () => undefined };
  // Logs go to pino's destination; an OTLP log exporter nobody writes to is noise.
  env.OTEL_LOGS_EXPORTER ??= 'none';
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME?.trim() || serviceName });
  sdk.start();
  on = true;
  return {
    enabled: true,
    shutdown: async () => {
      on = false;
      await sdk.shutdown();
    },
  };
}

/** For tests that register a tracer provider of their own. */
export function setTracing(enabled: boolean): void {
  on = enabled;
}

export function tracingOn(): boolean {
  return on;
}

const toSpanContext = (parent: TraceContext): SpanContext => ({ traceId: parent.traceId, spanId: parent.spanId, traceFlags: parseInt(parent.flags, 16) & 1, isRemote: true });

/** The span's context as the trace context an event records. */
export function traceContextOf(span: Span): TraceContext {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { traceId, spanId, flags: traceFlags & 1 ? '01' : '00' };
}

/** The active span's trace context, when telemetry is on and a span is active. */
export function activeTraceContext(): TraceContext | undefined {
  if (!on) return undefined;
  const span = trace.getActiveSpan();
  return span && span.spanContext().traceId !== '00000000000000000000000000000000' ? traceContextOf(span) : undefined;
}

async function ended<T>(span: Span, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * A server span for one request, the child of the caller's trace context when it sent
 * one. `work` receives the span's trace context (what the request's events record) and
 * the span, to name it by its route once routed.
 */
export function serverSpan<T>(name: string, parent: TraceContext | undefined, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  const base = parent ? trace.setSpanContext(ROOT_CONTEXT, toSpanContext(parent)) : ROOT_CONTEXT;
  return tracer().startActiveSpan(name, { kind: SpanKind.SERVER, attributes }, base, (span) => ended(span, () => work(span)));
}

/** Runs `work` in a child span of the active one; off, just runs it. */
export function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T> | T): Promise<T> | T {
  if (!on) return work();
  return tracer().startActiveSpan(name, { attributes }, (span) => ended(span, work));
}

/**
 * Runs `work` in a new root span linked to each distinct trace context the events
 * recorded (up to `maxLinks`), never parented to any of them; off, just runs it.
 */
export function linkedSpan<T>(name: string, kind: SpanKind, traceparents: Iterable<string | undefined>, attributes: Attributes, work: () => Promise<T> | T): Promise<T> | T {
  if (!on) return work();
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const header of traceparents) {
    if (links.length >= maxLinks) break;
    const parent = header ? parseTraceparent(header) : undefined;
    if (!parent || seen.has(parent.spanId)) continue;
    seen.add(parent.spanId);
    links.push({ context: toSpanContext(parent) });
  }
  return tracer().startActiveSpan(name, { kind, root: true, links, attributes }, context.active(), (span) => ended(span, work));
}

/** The active span when telemetry is on (to add what a step learns as it goes). */
export function activeSpan(): Span | undefined {
  return on ? trace.getActiveSpan() : undefined;
}

/** A `traceparent` header for an outgoing request made in the active span, when telemetry is on. */
export function traceHeader(): Record<string, string> {
  const active = activeTraceContext();
  return active ? { traceparent: formatTraceparent(active) } : {};
}

export { SpanKind, SpanStatusCode };
