import { describe, expect, it } from 'vitest';
import { backoffMs } from './delivery.ts';
import { sign, verify } from './signature.ts';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"id":"1"}';
  const at = new Date('2026-02-01T10:00:00Z');

  it('signs "<t>.<body>" with HMAC-SHA256 and verifies it', () => {
    const header = sign(secret, body, at);
    expect(header).toMatch(/^t=1769940000,v1=[0-9a-f]{64}$/);
    expect(verify(secret, body, header, 300, at.getTime())).toBe(true);
  });

  it('refuses another body, another secret, a stale timestamp or a missing header', () => {
    const header = sign(secret, body, at);
    expect(verify(secret, '{"id":"2"}', header, 300, at.getTime())).toBe(false);
    expect(verify('whsec_other', body, header, 300, at.getTime())).toBe(false);
    expect(verify(secret, body, header, 300, at.getTime() + 301_000)).toBe(false);
    expect(verify(secret, body, undefined)).toBe(false);
    expect(verify(secret, body, 't=abc,v1=00')).toBe(false);
  });
});

describe('retry backoff', () => {
  const policy = { baseMs: 1000, maxMs: 60_000, timeoutMs: 1000 };
  it('doubles from the base up to the cap', () => {
    const exact = () => 0.5;
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, policy, exact))).toEqual([1000, 2000, 4000, 8000, 60_000]);
  });
  it('spreads retries by ±20 %', () => {
    expect(backoffMs(1, policy, () => 0)).toBe(800);
    expect(backoffMs(1, policy, () => 1)).toBe(1200);
  });
});
