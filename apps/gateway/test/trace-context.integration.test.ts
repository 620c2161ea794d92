/**
 * Issue 15, first piece: every stored event records the W3C trace context of the request
 * that stored it, sampled or not, and the CloudEvents feed carries it as the distributed
 * tracing extension (`traceparent`), so one deposit can be followed to its consumers.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import banking from '@eventloom/banking-context';
import { createRuntime, parseTraceparent, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);

describe.skipIf(!haveAzurite)('trace context from request to feed', () => {
  let runtime: Runtime;
  let gateway: ReturnType<typeof createGateway>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-trace-')));
    runtime = await createRuntime({ contexts: [banking], config: testConfig({ name: 'trace' }), logger: pino({ level: 'silent' }), workers: true });
    gateway = createGateway({ runtime, contexts: [banking], auth, logger: pino({ level: process.env.GW_LOG ?? 'silent' }) });
    admin = { Authorization: `Bearer ${(await auth.issue({ sub: 'admin', role: 'admin' })).token}`, 'Content-Type': 'application/json' };
  }, 60_000);
  afterAll(async () => {
    await runtime?.close();
  });

  const deposit = async (customer: string, headers: Record<string, string> = {}) => {
    const response = await gateway.request(`/api/banking/accounts/${customer}/republic/deposits`, { method: 'POST', headers: { ...admin, Prefer: 'wait=10', ...headers }, body: JSON.stringify({ amountCents: 500 }) });
    expect(response.status, await response.clone().text()).toBe(200);
  };
  /** The feed's CloudEvents (the thin Deposited notifications), newest last. */
  const feed = async () => {
    const response = await gateway.request('/api/banking/feed?limit=100', { headers: admin });
    expect(response.status).toBe(200);
    return (await response.json()) as { type: string; subject: string; traceparent?: string }[];
  };

  it('records the caller’s trace in its own span, and carries it to the feed’s CloudEvent', async () => {
    const caller = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await deposit('U7001', { traceparent: caller });
    const [event] = (await feed()).filter((e) => e.subject.includes('U7001') && e.type.startsWith('banking.Deposited'));
    expect(event?.traceparent, JSON.stringify(event)).toBeDefined();
    const recorded = parseTraceparent(event!.traceparent)!;
    // The same trace, sampled as the caller said, in the gateway's span (a child of the caller's).
    expect(recorded.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(recorded.flags).toBe('01');
    expect(recorded.spanId).not.toBe('00f067aa0ba902b7');
  });

  it('starts a trace of its own, recorded though not sampled, when the caller sends none or a malformed one', async () => {
    await deposit('U7002');
    await deposit('U7003', { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' });
    const events = (await feed()).filter((e) => e.type.startsWith('banking.Deposited') && /U700[23]/.test(e.subject));
    expect(events).toHaveLength(2);
    const traces = events.map((e) => parseTraceparent(e.traceparent)!);
    for (const trace of traces) expect(trace.flags).toBe('00');
    expect(traces[0]!.traceId).not.toBe(traces[1]!.traceId);
  });
});
