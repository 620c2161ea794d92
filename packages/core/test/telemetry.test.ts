/**
 * Issue 15: spans with the right parents and links. The request's work is one trace; an
 * asynchronous step (here a dead letter's retry) is a root span of its own linked to the
 * event's trace context, whatever span is active where it runs; telemetry off records
 * trace context on events and makes no spans.
 */
import { trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/create-runtime.ts';
import { childOf, currentTraceparent, formatTraceparent, parseTraceparent, withTrace } from '../src/tracing/trace-context.ts';
import { inSpan, linkedSpan, maxLinks, serverSpan, setTracing, SpanKind, telemetryWanted } from '../src/tracing/telemetry.ts';
import { unluckyMeters } from './unlucky-meters.ts';
import { Closer, config, owner, waitUntil } from './helpers.ts';

const exporter = new InMemorySpanExporter();
const sdk = new NodeSDK({ spanProcessors: [new SimpleSpanProcessor({ exporter })], autoDetectResources: false, metricReaders: [] });
const spans = () => exporter.getFinishedSpans();
const named = (name: string) => spans().filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const traceparent = (traceId: string, spanId: string, flags = '01') => `00-${traceId}-${spanId}-${flags}`;
const caller = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };

beforeAll(() => sdk.start());
afterAll(() => sdk.shutdown());
beforeEach(() => {
  exporter.reset();
  setTracing(true);
});

describe('telemetry helpers', () => {
  it('is wanted only when OTEL_* names an exporter or an OTLP endpoint, and not when disabled', () => {
    expect(telemetryWanted({})).toBe(false);
    expect(telemetryWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(telemetryWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(telemetryWanted({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(telemetryWanted({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(telemetryWanted({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
  });

  it('makes the request’s spans children of the caller’s, and what they store records the innermost span', async () => {
    let recorded = '';
    await serverSpan('POST', parseTraceparent(traceparent(caller.traceId, caller.spanId)), {}, async () => {
      await inSpan('append', {}, () => {
        recorded = currentTraceparent();
      });
    });
    const [request] = named('POST');
    const [append] = named('append');
    expect(request!.spanContext().traceId).toBe(caller.traceId);
    expect(parentOf(request!)).toBe(caller.spanId);
    expect(request!.kind).toBe(SpanKind.SERVER);
    expect(parentOf(append!)).toBe(request!.spanContext().spanId);
    expect(recorded).toBe(traceparent(caller.traceId, append!.spanContext().spanId));
  });

  it('records an unsampled caller’s trace on events though no span is exported', async () => {
    let recorded = '';
    await serverSpan('POST', parseTraceparent(traceparent(caller.traceId, caller.spanId, '00')), {}, async () => {
      recorded = currentTraceparent();
    });
    expect(spans()).toEqual([]);
    const context = parseTraceparent(recorded)!;
    expect(context).toMatchObject({ traceId: caller.traceId, flags: '00' });
    expect(context.spanId).not.toBe(caller.spanId);
  });

  it('starts a linked step as a new trace, never a child of the span active where it runs', async () => {
    const events = [traceparent(caller.traceId, 'aaaaaaaaaaaaaaaa'), traceparent(caller.traceId, 'aaaaaaaaaaaaaaaa'), 'garbage', undefined, traceparent('5bf92f3577b34da6a3ce929d0e0e4736', 'bbbbbbbbbbbbbbbb')];
    await inSpan('outer', {}, () => linkedSpan('apply balances', SpanKind.CONSUMER, events, {}, () => undefined));
    const [apply] = named('apply balances');
    const [outer] = named('outer');
    expect(parentOf(apply!)).toBeUndefined();
    expect(apply!.spanContext().traceId).not.toBe(outer!.spanContext().traceId);
    expect(apply!.spanContext().traceId).not.toBe(caller.traceId);
    // One link per distinct, valid context.
    expect(apply!.links.map((l) => l.context.spanId)).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
  });

  it('links at most maxLinks contexts, however big the batch', async () => {
    const many = Array.from({ length: maxLinks * 3 }, () => formatTraceparent(childOf(undefined)));
    await linkedSpan('place', SpanKind.PRODUCER, many, {}, () => undefined);
    expect(named('place')[0]!.links).toHaveLength(maxLinks);
  });

  it('makes no spans when off, and the scope’s trace context is what events record', async () => {
    setTracing(false);
    const scope = childOf(undefined);
    let recorded = '';
    await withTrace(scope, () => inSpan('append', {}, () => linkedSpan('place', SpanKind.PRODUCER, [], {}, () => (recorded = currentTraceparent()))));
    expect(spans()).toEqual([]);
    expect(recorded).toBe(formatTraceparent(scope));
    // The active span of a tracer nobody turned on is not consulted.
    await trace.getTracer('other').startActiveSpan('foreign', async (span) => {
      expect(parseTraceparent(currentTraceparent())?.spanId).not.toBe(span.spanContext().spanId);
      span.end();
    });
  });
});

// A projection whose handler fails on 13 until "fixed": its letter is retried by an admin.
const { context: traced, fix } = unluckyMeters('traced');

describe.skipIf(!process.env.AZURE_STORAGE_CONNECTION_STRING)('spans of a dead letter’s retry', () => {
  const closer = new Closer();
  afterAll(() => closer.closeAll());

  it('retries in a span of its own linked to the event’s trace, not parented to the admin’s request', { timeout: 30_000 }, async () => {
    const runtime = closer.add(await createRuntime({ contexts: [traced], config: config('otelretry') }));
    const context = runtime.context('traced');
    await serverSpan('POST', parseTraceparent(traceparent(caller.traceId, caller.spanId)), {}, () => context.execute('meter', 'bump', { id: 'm1', by: 13 }, { principal: owner }));
    await waitUntil('parked', async () => (await context.deadLetters('meters')).length === 1);
    const [event] = await context.readFeed(0, 10);
    const append = parseTraceparent(event!.traceparent)!;
    expect(append.traceId).toBe(caller.traceId);

    fix();
    const admin = '6bf92f3577b34da6a3ce929d0e0e4736';
    await serverSpan('POST', parseTraceparent(traceparent(admin, 'cccccccccccccccc')), {}, () => context.resolveDeadLetter('meters', event!.seq, 'retry'));
    await waitUntil('retried', async () => (await context.views.get('Meters', 'meter', 'm1'))?.value === 13);
    await waitUntil('retry span ended', () => named('retry meters').length > 0);
    const [retry] = named('retry meters');
    expect(parentOf(retry!)).toBeUndefined();
    expect([caller.traceId, admin]).not.toContain(retry!.spanContext().traceId);
    expect(retry!.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([[append.traceId, append.spanId]]);
    // The failed applies before it were linked spans of the live runner, in traces of their own too.
    const applies = named('apply meters').filter((s) => s.links.some((l) => l.context.spanId === append.spanId));
    expect(applies.length).toBeGreaterThan(0);
    for (const span of applies) expect(parentOf(span)).toBeUndefined();
  });
});
