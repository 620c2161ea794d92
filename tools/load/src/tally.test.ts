import { describe, expect, it } from 'vitest';
import { latency, Tally, type Observation } from './tally.ts';

const answer = (o: Partial<Observation>): Observation => ({ category: 'read', route: 'GET /x', path: '/x', status: 200, ms: 1, abusive: false, ...o });

describe('the tally', () => {
  it('takes percentiles by nearest rank', () => {
    const ms = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(latency(ms)).toEqual({ count: 100, p50: 50, p99: 99, max: 100 });
    expect(latency([])).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
  });

  it('counts a 503 with Retry-After as shedding and any other 5xx as a failure', () => {
    const tally = new Tally();
    tally.record(answer({ status: 503, retryAfter: '1' }));
    tally.record(answer({ status: 503 }));
    tally.record(answer({ status: 500 }));
    expect(tally.unavailable).toBe(2);
    expect(tally.unexpectedServerErrors().map((i) => i.what)).toEqual(['503 without Retry-After', '500']);
  });

  it('leaves network errors of abusive requests to the hostile check', () => {
    const tally = new Tally();
    tally.record(answer({ status: 0, error: 'EPIPE', abusive: true }));
    tally.record(answer({ status: 0, error: 'ECONNRESET' }));
    tally.record(answer({ status: 0, error: 'ECONNRESET' }));
    expect(tally.networkErrors()).toEqual([{ route: 'GET /x', what: 'ECONNRESET', count: 2, example: '/x → ECONNRESET' }]);
    expect(tally.statuses.get('network error')).toBe(3);
  });

  it('counts 429s by the quota they name', () => {
    const tally = new Tally();
    tally.record(answer({ status: 429, quota: 'sign-in-account', retryAfter: '300' }));
    tally.record(answer({ status: 429, quota: 'sign-in-account', retryAfter: '300' }));
    expect(Object.fromEntries(tally.quotas)).toEqual({ 'sign-in-account': 2 });
  });
});
