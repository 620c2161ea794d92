import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContextDefinition, Principal, Role } from '@eventloom/core';
import { pino } from 'pino';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';
import type { AdmissionSettings } from '../src/admission.ts';
import type { HealthProbeOptions } from '../src/health.ts';
import type { QuotaSettings } from '../src/quotas.ts';
import { fakeRuntime } from './fake-runtime.ts';
import { testContext } from './test-context.ts';

/** A gateway over the fake runtime, with keys and accounts in a fresh temp EVENTLOOM_HOME. */
export async function testGateway(options: { contexts?: ContextDefinition[]; bodyLimit?: number; heartbeatMs?: number; quotas?: Partial<QuotaSettings>; health?: HealthProbeOptions; admission?: Partial<AdmissionSettings> } = {}) {
  const home = await mkdtemp(join(tmpdir(), 'eventloom-gateway-'));
  const contexts = options.contexts ?? [testContext];
  const auth = await loadAuth(home);
  const runtime = fakeRuntime(contexts);
  const app = createGateway({
    runtime,
    contexts,
    auth,
    logger: pino({ level: process.env.GW_LOG ?? 'silent' }),
    bodyLimit: options.bodyLimit,
    heartbeatMs: options.heartbeatMs,
    quotas: options.quotas,
    health: options.health,
    admission: options.admission,
  });
  const principals: Record<Role, Principal> = {
    owner: { sub: 'owner.firstcitizens', role: 'owner', bank: 'First Citizens' },
    admin: { sub: 'admin', role: 'admin' },
    consumer: { sub: 'consumer.demo', role: 'consumer', contexts: ['*'] },
  };
  const tokens = {} as Record<Role, string>;
  for (const [role, principal] of Object.entries(principals)) tokens[role as Role] = (await auth.issue(principal)).token;
  const bearer = (role: Role) => ({ Authorization: `Bearer ${tokens[role]}` });
  return { app, auth, runtime, home, tokens, bearer };
}

export async function expectProblem(response: Response, status: number) {
  const body = (await response.json()) as { type: string; title: string; status: number; instance?: string };
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(body)}`);
  if (!response.headers.get('content-type')?.startsWith('application/problem+json')) {
    throw new Error(`expected problem JSON, got ${response.headers.get('content-type')}`);
  }
  if (body.status !== status || typeof body.type !== 'string' || typeof body.title !== 'string') {
    throw new Error(`not a problem: ${JSON.stringify(body)}`);
  }
  return body;
}
