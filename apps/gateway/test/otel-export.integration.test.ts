/**
 * Issue 15: with `OTEL_EXPORTER_OTLP_ENDPOINT` pointed at a collector stand-in, one deposit
 * arrives as spans with the right parents and links: the request (a child of the caller's
 * traceparent) → decide and append; the relay's placement, each projection's apply and
 * the webhook delivery each start a trace of their own linked to the event's context; a
 * rebuild's batches are linked too, never parented. The event, the feed's CloudEvent and
 * the delivery all carry the trace the command ran in.
 */
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import banking from '@eventloom/banking-context';
import { createRuntime, parseTraceparent, startTelemetry, type Runtime, type Telemetry } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';
import { startWebhookDelivery } from '../src/consumers/index.ts';
import type { WebhookDispatcher } from '../src/consumers/webhooks/dispatcher.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: { traceId: string; spanId: string }[];
  attributes?: { key: string; value: OtlpValue }[];
}
interface Posted {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP server that keeps what is posted to it (the collector stand-in, and a webhook receiver). */
async function listener(answer = 200) {
  const posted: Posted[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      posted.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(answer, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, posted, close: () => new Promise((resolve) => server.close(resolve)) };
}

const spansIn = (posted: Posted[]): OtlpSpan[] =>
  posted
    .filter((p) => p.path === '/v1/traces')
    .flatMap((p) => (JSON.parse(p.body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans)
    .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? value?.boolValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};
const metricNames = (posted: Posted[]): string[] =>
  posted
    .filter((p) => p.path === '/v1/metrics')
    .flatMap((p) => (JSON.parse(p.body) as { resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[] }).resourceMetrics)
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name)));
const linksTo = (span: OtlpSpan, traceId: string, spanId: string) => (span.links ?? []).some((l) => l.traceId === traceId && l.spanId === spanId);

describe.skipIf(!haveAzurite)('OpenTelemetry export to an OTLP endpoint', () => {
  const logger = pino({ level: 'silent' });
  let collector: Awaited<ReturnType<typeof listener>>;
  let receiver: Awaited<ReturnType<typeof listener>>;
  let telemetry: Telemetry;
  let runtime: Runtime;
  let dispatcher: WebhookDispatcher;
  let gateway: ReturnType<typeof createGateway>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    collector = await listener();
    receiver = await listener(204);
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    });
    telemetry = await startTelemetry('eventloom-test');
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-otel-')));
    runtime = await createRuntime({ contexts: [banking], config: testConfig({ name: 'otel' }), logger, workers: true });
    dispatcher = await startWebhookDelivery(runtime, [banking], logger, { retry: { baseMs: 40, maxMs: 300, timeoutMs: 2_000 }, idleMs: 300, reconcileMs: 500, targets: 'any' });
    gateway = createGateway({ runtime, contexts: [banking], auth, logger, webhookTargets: 'any' });
    admin = { Authorization: `Bearer ${(await auth.issue({ sub: 'admin', role: 'admin' })).token}`, 'Content-Type': 'application/json' };
  }, 60_000);
  afterAll(async () => {
    await dispatcher?.stop();
    await runtime?.close();
    await telemetry?.shutdown();
    await collector?.close();
    await receiver?.close();
  });

  it('exports the request’s spans as children of the caller’s, every asynchronous step as a linked trace of its own, and the messaging and lag metrics', { timeout: 60_000 }, async () => {
    expect(telemetry.enabled).toBe(true);
    const created = await gateway.request('/api/consumer-keys', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'traced', contexts: ['banking'] }) });
    const asKey = { Authorization: `Bearer ${((await created.json()) as { secret: string }).secret}`, 'Content-Type': 'application/json' };
    const registered = await gateway.request('/api/webhooks', { method: 'POST', headers: asKey, body: JSON.stringify({ url: `${receiver.url}/hooks`, contexts: ['banking'] }) });
    expect(registered.status).toBe(201);

    const caller = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    const deposited = await gateway.request('/api/banking/accounts/O1001/republic/deposits', {
      method: 'POST',
      headers: { ...admin, Prefer: 'wait=10', traceparent: `00-${caller.traceId}-${caller.spanId}-01` },
      body: JSON.stringify({ amountCents: 700 }),
    });
    expect(deposited.status, await deposited.clone().text()).toBe(200);
    const [event] = ((await deposited.json()) as { events: { id: string }[] }).events;

    // The event records the append span; the feed's CloudEvent and the webhook carry it.
    const stored = (await runtime.context('banking').readFeed(0, 1000)).find((e) => e.id === event!.id)!;
    const recorded = parseTraceparent(stored.traceparent)!;
    expect(recorded.traceId).toBe(caller.traceId);
    await expect.poll(() => receiver.posted.filter((p) => p.body.includes(event!.id)).length, { timeout: 20_000, interval: 100 }).toBeGreaterThan(0);
    const delivery = receiver.posted.find((p) => p.body.includes(event!.id))!;
    expect((JSON.parse(delivery.body) as { traceparent: string }).traceparent).toBe(stored.traceparent);

    const spans = async () => spansIn(collector.posted);
    await expect.poll(async () => (await spans()).filter((s) => s.name.startsWith('deliver ')).length, { timeout: 20_000, interval: 200 }).toBeGreaterThan(0);
    const all = await spans();
    const request = all.find((s) => s.traceId === caller.traceId && s.parentSpanId === caller.spanId)!;
    expect(request, all.map((s) => s.name).join(', ')).toBeDefined();
    expect(request.name).toBe('POST /api/banking/accounts/:customer/:bank/deposits');
    expect(request.kind).toBe(2); // server
    expect(attribute(request, 'http.response.status_code')).toBe(200);
    const children = all.filter((s) => s.parentSpanId === request.spanId).map((s) => s.name);
    expect(children).toEqual(expect.arrayContaining(['decide', 'append']));
    const append = all.find((s) => s.parentSpanId === request.spanId && s.name === 'append')!;
    expect(recorded.spanId).toBe(append.spanId);

    // Asynchronous steps: new traces, linked to the event's context, never parented to it.
    const linked = all.filter((s) => linksTo(s, caller.traceId, append.spanId));
    const names = linked.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['place', 'apply balances', 'apply ledger', expect.stringMatching(/^deliver /)]));
    for (const span of linked) {
      expect(span.traceId, span.name).not.toBe(caller.traceId);
      expect(span.parentSpanId ?? '', span.name).toBe('');
    }
    const deliver = linked.find((s) => s.name.startsWith('deliver '))!;
    expect(attribute(deliver, 'messaging.message.id')).toBe(event!.id);
    // The receiver was told the delivery's own span.
    expect(parseTraceparent(delivery.headers.traceparent as string)).toMatchObject({ traceId: deliver.traceId, spanId: deliver.spanId });
    expect(attribute(linked.find((s) => s.name === 'apply balances')!, 'messaging.consumer.group.name')).toBe('balances');

    // Metrics go to the same collector: the messaging conventions' and the lag gauges.
    await expect.poll(() => metricNames(collector.posted).includes('messaging.process.duration'), { timeout: 10_000, interval: 200 }).toBe(true);
    await expect.poll(() => metricNames(collector.posted).includes('eventloom.projection.lag'), { timeout: 10_000, interval: 200 }).toBe(true);

    // A rebuild replays the event in spans linked to it, in traces of their own.
    const before = all.length;
    await runtime.context('banking').rebuilds.request('balances', 'admin');
    await expect.poll(async () => (await runtime.context('banking').rebuilds.status('balances'))?.state, { timeout: 30_000, interval: 200 }).toBe('done');
    await expect
      .poll(async () => (await spans()).slice(before).filter((s) => s.name === 'apply balances' && attribute(s, 'eventloom.rebuild') === true && linksTo(s, caller.traceId, append.spanId)).length, { timeout: 10_000, interval: 200 })
      .toBeGreaterThan(0);
    for (const span of (await spans()).filter((s) => attribute(s, 'eventloom.rebuild') === true)) {
      expect(span.traceId).not.toBe(caller.traceId);
      expect(span.parentSpanId ?? '').toBe('');
    }
  });
});
