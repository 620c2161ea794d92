import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectProblem, testGateway } from './test-gateway.ts';

const signIn = (username: string, password: string) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ username, password }),
});

async function password(home: string, username: string): Promise<string> {
  const { accounts } = JSON.parse(await readFile(join(home, 'accounts.json'), 'utf8')) as { accounts: { username: string; password: string }[] };
  return accounts.find((a) => a.username === username)!.password;
}

async function refusals(app: { request: (path: string) => Response | Promise<Response> }, quota: string): Promise<number> {
  const text = await (await app.request('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`eventloom_quota_refusals_total{quota="${quota}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('quotas: 429 with Retry-After, problem JSON, counted in /metrics', () => {
  it('stops guessing one account’s password, even with the right one, until the window passes; other accounts still sign in', async () => {
    const { app, home } = await testGateway({ quotas: { signInFailuresPerAccount: 3 } });
    for (let i = 0; i < 3; i++) await expectProblem(await app.request('/auth/token', signIn('owner.republic', `guess-${i}-nope`)), 401);
    const refused = await app.request('/auth/token', signIn('owner.republic', await password(home, 'owner.republic')));
    const problem = await expectProblem(refused, 429);
    expect(problem.type).toMatch(/quota-exceeded$/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await app.request('/auth/token', signIn('owner.scotia', await password(home, 'owner.scotia')))).status).toBe(200);
    expect(await refusals(app, 'sign-in-account')).toBe(1);
  });

  it('forgets an account’s failures once it signs in', async () => {
    const { app, home } = await testGateway({ quotas: { signInFailuresPerAccount: 3 } });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) await expectProblem(await app.request('/auth/token', signIn('admin', 'wrong-password')), 401);
      expect((await app.request('/auth/token', signIn('admin', await password(home, 'admin')))).status).toBe(200);
    }
  });

  // The portal signs everyone in from its own address: successes must never count, and the
  // browser's address it passes on is the one limited (the e2e suite hit the first version).
  it('never counts successful sign-ins against an address, and limits the browser address the portal passes on', async () => {
    const { app, home } = await testGateway({ quotas: { signInAttemptsPerAddress: 3 } });
    const from = (address: string, username: string, pass: string) => app.request('/auth/token', { ...signIn(username, pass), headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': address } });
    const admin = await password(home, 'admin');
    for (let i = 0; i < 10; i++) expect((await from('203.0.113.7', 'admin', admin)).status).toBe(200);
    for (let i = 0; i < 3; i++) await expectProblem(await from('198.51.100.1', `mallory${i}`, 'whatever-it-is'), 401);
    await expectProblem(await from('198.51.100.1', 'admin', admin), 429);
    expect((await from('203.0.113.7', 'admin', admin)).status).toBe(200);
  });

  it('limits failed sign-ins from one address, unknown users included, before any password is hashed', async () => {
    const { app } = await testGateway({ quotas: { signInAttemptsPerAddress: 5 } });
    for (let i = 0; i < 5; i++) await expectProblem(await app.request('/auth/token', signIn(`mallory${i}`, 'whatever-it-is')), 401);
    const refused = await app.request('/auth/token', signIn('mallory9', 'whatever-it-is'));
    await expectProblem(refused, 429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refusals(app, 'sign-in-address')).toBe(1);
  });

  it('caps the live streams one caller holds open, and gives a slot back when a stream closes', async () => {
    const { app, bearer } = await testGateway({ quotas: { streamsPerPrincipal: 2 } });
    const open = () => app.request('/api/live', { headers: bearer('consumer') });
    const first = await open();
    const second = await open();
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await open();
    await expectProblem(third, 429);
    expect(third.headers.get('retry-after')).toBeTruthy();
    // Another caller is not affected.
    const admins = await app.request('/api/live', { headers: bearer('admin') });
    expect(admins.status).toBe(200);
    await first.body!.cancel();
    const again = await open();
    expect(again.status).toBe(200);
    for (const response of [second, admins, again]) await response.body!.cancel();
    expect(await refusals(app, 'streams-per-principal')).toBe(1);
  });

  it('passes a counted stream through as it comes', async () => {
    const { app, bearer } = await testGateway();
    const response = await app.request('/api/live', { headers: bearer('consumer') });
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('event: ready');
    await reader.cancel();
  });

  it('caps the streams of the whole gateway', async () => {
    const { app, bearer } = await testGateway({ quotas: { streamsTotal: 2 } });
    const a = await app.request('/api/live', { headers: bearer('consumer') });
    const b = await app.request('/api/live', { headers: bearer('admin') });
    await expectProblem(await app.request('/api/live', { headers: bearer('owner') }), 429);
    await a.body!.cancel();
    const c = await app.request('/api/live', { headers: bearer('owner') });
    expect(c.status).toBe(200);
    await b.body!.cancel();
    await c.body!.cancel();
  });
});
