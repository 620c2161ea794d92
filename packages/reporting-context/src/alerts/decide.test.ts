import { decider, projection, stored } from '@eventloom/core/testing';
import { describe, expect, it } from 'vitest';
import { alertDecided } from '../testing.ts';
import { alert } from './decide.ts';
import { alertDecisions } from './decisions.ts';
import { AlertDecided } from './events.ts';

const id = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const owner = { sub: 'owner.republic', role: 'owner' as const, bank: 'Republic Bank' };

describe('alert decider', () => {
  it('records a decision with its note', () => {
    decider(alert)
      .given([])
      .when('decide', { alertId: id, decision: 'investigated', note: '  Called the customer: moving savings.  ' }, { principal: owner })
      .then([AlertDecided({ alertId: id, decision: 'investigated', note: 'Called the customer: moving savings.' })]);
  });

  it('refuses a second decision on the same alert', () => {
    decider(alert).given([alertDecided(id, 'dismissed')]).when('decide', { alertId: id, decision: 'investigated', note: 'again' }).thenThrows('alert-decided');
  });

  it('needs a note, a known decision and an alert id', () => {
    for (const input of [
      { alertId: id, decision: 'investigated', note: '   ' },
      { alertId: id, decision: 'ignored', note: 'x' },
      { alertId: 'not-an-id', decision: 'dismissed', note: 'x' },
      { alertId: id, decision: 'dismissed', note: 'x', extra: 1 },
    ]) {
      expect(() => decider(alert).given([]).when('decide', input).then([])).toThrow();
    }
  });
});

describe('alert decisions view', () => {
  it('keeps who decided what and why', async () => {
    const view = await projection(alertDecisions).given(stored([alertDecided(id, 'dismissed', 'payroll transfer')], `alert-${id}`));
    expect(view.rows('AlertDecisions')).toEqual([
      { partitionKey: 'decision', rowKey: id, decision: 'dismissed', note: 'payroll transfer', decidedBy: 'test', decidedAt: '2026-01-01T00:00:00.000Z' },
    ]);
  });
});
