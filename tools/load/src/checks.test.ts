import { describe, expect, it } from 'vitest';
import { checkNames, judge } from './checks.ts';
import type { Figures } from './figures.ts';

/** A run where everything went right. */
function calmRun(): Figures {
  return {
    gateway: 'http://127.0.0.1:1',
    mode: 'redis',
    clients: 2,
    durationMs: 1_000,
    requests: { total: 10, perSecond: 10, hostileShare: 0.2, statuses: { '200': 8, '400': 2 } },
    latency: { read: { count: 8, p50: 5, p99: 9, max: 9 } },
    health: { count: 10, p50: 4, p99: 12, max: 12, failures: 0, storagePing: { count: 10, p50: 2, p99: 5, max: 5 } },
    timeline: [],
    quotas: {},
    unavailable: 0,
    networkErrors: [],
    serverErrors: [],
    hostile: { kinds: { 'broken JSON': { sent: 2, asExpected: 2 } }, mismatchCount: 0, mismatches: [] },
    writes: { acknowledged: 3, refused: 1, unanswered: 0 },
    accounts: { checked: 3, touched: 2 },
    settlement: { resent: 0, unresolved: 0, caughtUp: true, caughtUpMs: 900, mismatches: [], rebuild: { state: 'done', ms: 400, events: 12 } },
    cpu: {},
    generatorLoopDelayP99Ms: 11,
    toolErrors: [],
    machine: { cores: 2, loadBefore: 0.5 },
  };
}

const verdict = (figures: Figures, name: string) => judge(figures).find((v) => v.name === name)!;

describe('the verdicts on a run', () => {
  it('passes every check for a calm run', () => {
    expect(judge(calmRun()).filter((v) => !v.pass)).toEqual([]);
  });

  it('fails when a balance differs from what was acknowledged, naming the account and by how much', () => {
    const figures = calmRun();
    figures.settlement.mismatches = [{ account: 'LD01/republic', where: 'view', expected: 10_000, got: 9_500 }];
    const ledger = verdict(figures, checkNames.ledger);
    expect(ledger.pass).toBe(false);
    expect(ledger.detail).toEqual(['LD01/republic: the view shows 95.00, acknowledged 100.00 (less by 5.00)']);
  });

  it('fails the ledger when writes stayed unclear, the projections never caught up or the rebuild did not finish', () => {
    const figures = calmRun();
    figures.settlement = { ...figures.settlement, unresolved: 2, caughtUp: false, rebuild: { state: 'failed', ms: 10, error: 'boom' } };
    expect(verdict(figures, checkNames.ledger).detail).toHaveLength(3);
  });

  it('fails on a 5xx, a dropped ordinary request, a hostile request answered wrongly and a gateway that exited', () => {
    const figures = calmRun();
    figures.serverErrors = [{ route: 'GET /api/banking/balances', what: '500', count: 3, example: '/api/banking/balances → 500' }];
    figures.networkErrors = [{ route: 'GET /api/banking/banks', what: 'ECONNRESET', count: 1, example: '/api/banking/banks → ECONNRESET' }];
    figures.hostile = { kinds: {}, mismatchCount: 1, mismatches: [{ kind: '3 MB body', request: 'POST /x', expected: '413', got: 'no answer (EPIPE)' }] };
    figures.gatewayExit = 'exited with code 1';
    const failed = judge(figures).filter((v) => !v.pass).map((v) => v.name);
    expect(failed).toEqual([checkNames.alive, checkNames.network, checkNames.serverErrors, checkNames.hostile]);
  });

  it('holds /health to a p99 under 100 ms, and to answering 200', () => {
    const slow = calmRun();
    slow.health = { ...slow.health, p99: 100 };
    expect(verdict(slow, checkNames.health).pass).toBe(false);
    const failing = calmRun();
    failing.health = { ...failing.health, failures: 1 };
    expect(verdict(failing, checkNames.health).pass).toBe(false);
    const silent = calmRun();
    silent.health = { count: 0, p50: 0, p99: 0, max: 0, failures: 0, storagePing: { count: 0, p50: 0, p99: 0, max: 0 } };
    expect(verdict(silent, checkNames.health).pass).toBe(false);
  });
});
