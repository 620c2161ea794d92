import { describe, expect, it } from 'vitest';
import { notPublic, refusedLiteral, refusedTarget, webhookTargets } from './targets.ts';

describe('webhook targets', () => {
  it('tells public unicast addresses from loopback, private, link-local, shared and unique-local ones', () => {
    expect(notPublic('8.8.8.8')).toBeUndefined();
    expect(notPublic('2606:4700:4700::1111')).toBeUndefined();
    expect(notPublic('127.0.0.1')).toBe('loopback');
    expect(notPublic('::1')).toBe('loopback');
    expect(notPublic('::ffff:127.0.0.1')).toBe('loopback');
    expect(notPublic('10.1.2.3')).toBe('private');
    expect(notPublic('192.168.1.10')).toBe('private');
    expect(notPublic('172.16.0.1')).toBe('private');
    expect(notPublic('169.254.169.254')).toBe('linkLocal');
    expect(notPublic('100.64.0.1')).toBe('carrierGradeNat');
    expect(notPublic('fd00::1')).toBe('uniqueLocal');
    expect(notPublic('0.0.0.0')).toBe('unspecified');
  });

  it('checks a URL by its literal address or what its name resolves to, unless any target is allowed', async () => {
    expect(await refusedTarget('http://127.0.0.1:9/x', 'public')).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(await refusedTarget('http://localhost:9/x', 'public')).toMatch(/localhost is at .*, a loopback address/);
    expect(await refusedTarget('https://[fd00::5]/x', 'public')).toMatch(/uniqueLocal/);
    expect(await refusedTarget('http://no-such-host.invalid/x', 'public')).toBe('host no-such-host.invalid does not resolve');
    expect(await refusedTarget('http://8.8.8.8/x', 'public')).toBeUndefined();
    expect(await refusedTarget('http://localhost:9/x', 'any')).toBeUndefined();
    expect(refusedLiteral('http://10.0.0.1/x', 'public')).toMatch(/private address/);
    expect(refusedLiteral('http://localhost/x', 'public')).toBeUndefined();
  });

  it('reads its policy from EVENTLOOM_WEBHOOK_TARGETS, public when unset, and names the variable on a bad value', () => {
    expect(webhookTargets({})).toBe('public');
    expect(webhookTargets({ EVENTLOOM_WEBHOOK_TARGETS: 'any' })).toBe('any');
    expect(() => webhookTargets({ EVENTLOOM_WEBHOOK_TARGETS: 'everything' })).toThrow(/EVENTLOOM_WEBHOOK_TARGETS must be "public".*"any"/);
  });
});
