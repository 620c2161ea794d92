import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { loadAuth } from '../src/auth/auth.ts';
import { algorithm, loadSigningKeys } from '../src/auth/keys.ts';
import { expectProblem, testGateway } from './test-gateway.ts';

async function plainAccounts(home: string) {
  return JSON.parse(await readFile(join(home, 'accounts.json'), 'utf8')) as {
    accounts: Array<{ username: string; password: string; role: string; bank?: string }>;
  };
}

const signIn = (username: string, password: string) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ username, password }),
});

describe('local accounts and tokens', () => {
  it('creates an admin, three bank owners and a consumer on first run, hashes kept apart from passwords', async () => {
    const { home } = await testGateway();
    const { accounts } = await plainAccounts(home);
    expect(accounts.map((a) => a.username)).toEqual([
      'admin',
      'owner.firstcitizens',
      'owner.republic',
      'owner.scotia',
      'consumer.demo',
    ]);
    expect(accounts.find((a) => a.username === 'owner.scotia')?.bank).toBe('Scotia Bank');
    const hashes = await readFile(join(home, 'accounts.hashes.json'), 'utf8');
    for (const account of accounts) expect(hashes).not.toContain(account.password);
    expect(hashes).toContain('scrypt$');
  });

  it('issues a token for the right password and it verifies', async () => {
    const { app, home } = await testGateway();
    const owner = (await plainAccounts(home)).accounts.find((a) => a.username === 'owner.republic')!;
    const response = await app.request('/auth/token', signIn(owner.username, owner.password));
    expect(response.status).toBe(200);
    const issued = (await response.json()) as { token: string; expiresAt: string; principal: { role: string; bank: string } };
    expect(issued.principal).toMatchObject({ sub: 'owner.republic', role: 'owner', bank: 'Republic Bank' });
    expect(Date.parse(issued.expiresAt) - Date.now()).toBeGreaterThan(7.9 * 3600 * 1000);
    expect(response.headers.get('set-cookie')).toMatch(/eventloom_token=.*HttpOnly/);

    const me = await app.request('/auth/me', { headers: { Authorization: `Bearer ${issued.token}` } });
    expect(await me.json()).toMatchObject({ sub: 'owner.republic', role: 'owner', bank: 'Republic Bank' });
  });

  it('never takes a token it verified before for valid past its expiry', async () => {
    const { home } = await testGateway();
    const auth = await loadAuth(home);
    const keys = await loadSigningKeys(home);
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: algorithm, kid: keys.kid, typ: 'JWT' })
      .setSubject('admin')
      .setIssuer('eventloom')
      .setAudience('eventloom')
      .setIssuedAt(now)
      .setExpirationTime(now + 2)
      .sign(keys.privateKey);
    expect(await auth.verify(shortLived)).toMatchObject({ sub: 'admin', role: 'admin' });
    expect(await auth.verify(shortLived)).toMatchObject({ sub: 'admin' });
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    await expect(auth.verify(shortLived)).rejects.toThrow(/exp/);
  });

  it('refuses a wrong password and an unknown user alike with 401', async () => {
    const { app } = await testGateway();
    const wrong = await expectProblem(await app.request('/auth/token', signIn('admin', 'nope-nope-nope')), 401);
    const unknown = await expectProblem(await app.request('/auth/token', signIn('mallory', 'nope-nope-nope')), 401);
    expect(wrong).toEqual({ ...unknown, instance: '/auth/token' });
  });

  it('refuses a tampered, foreign or garbage token with 401', async () => {
    const { app, tokens } = await testGateway();
    const [header, payload, signature] = tokens.consumer.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    const foreign = (await testGateway()).tokens.admin; // signed with another home's key
    for (const token of [`${header}.${forged}.${signature}`, foreign, 'garbage']) {
      await expectProblem(await app.request('/auth/me', { headers: { Authorization: `Bearer ${token}` } }), 401);
    }
  });

  it('accepts the token from the eventloom_token cookie, and ignores a stale one on public routes', async () => {
    const { app, tokens } = await testGateway();
    const me = await app.request('/auth/me', { headers: { Cookie: `eventloom_token=${tokens.admin}` } });
    expect(me.status).toBe(200);
    const health = await app.request('/health', { headers: { Cookie: 'eventloom_token=stale' } });
    expect(health.status).toBe(200);
    await expectProblem(await app.request('/auth/me', { headers: { Cookie: 'eventloom_token=stale' } }), 401);
  });

  it('refuses a cross-site form post carrying an admin cookie; the same post from this origin goes through', async () => {
    const { app, tokens } = await testGateway();
    const post = (headers: Record<string, string>) =>
      app.request('http://gateway.local/api/tally/increments', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Cookie: `eventloom_token=${tokens.admin}`, ...headers },
        body: JSON.stringify({ by: 1 }),
      });
    await expectProblem(await post({ Origin: 'https://evil.example' }), 401);
    await expectProblem(await post({ Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' }), 401);
    await expectProblem(await post({}), 401); // no Origin: not a browser page, send a bearer
    await expectProblem(await post({ Origin: 'null' }), 401);
    expect((await post({ Origin: 'http://gateway.local', 'Sec-Fetch-Site': 'same-origin' })).status).toBeLessThan(300);
    // Reads keep working with the cookie alone (EventSource cannot send headers).
    expect((await app.request('http://gateway.local/auth/me', { headers: { Cookie: `eventloom_token=${tokens.admin}` } })).status).toBe(200);
  });

  it('keeps the same key and accounts across restarts', async () => {
    const { home, tokens } = await testGateway();
    const again = await loadAuth(home);
    await expect(again.verify(tokens.owner)).resolves.toMatchObject({ sub: 'owner.firstcitizens' });
  });

  it('agrees on one key and one set of accounts when two processes start at once', async () => {
    const { home } = await testGateway();
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const fresh = await mkdtemp(join(tmpdir(), 'eventloom-race-'));
    const [a, b] = await Promise.all([loadAuth(fresh), loadAuth(fresh)]);
    const issued = await a.issue({ sub: 'admin', role: 'admin' });
    await expect(b.verify(issued.token)).resolves.toMatchObject({ sub: 'admin' });
    const { accounts } = await plainAccounts(fresh);
    expect(await a.signIn('admin', accounts[0]!.password)).toBeDefined();
    expect(await b.signIn('admin', accounts[0]!.password)).toBeDefined();
    expect(home).not.toBe(fresh);
  });
});
