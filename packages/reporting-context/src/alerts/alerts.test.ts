import { Deposited, Withdrawn } from '@eventloom/banking-context/contracts';
import { projection } from '@eventloom/core/testing';
import { describe, expect, it } from 'vitest';
import { defaultAlertRules } from '../config.ts';
import { feedOf } from '../testing.ts';
import { crossBankWatch } from './projection.ts';

const withdrawn = (customer: string, bank: 'republic' | 'scotia' | 'first-citizens', amountCents: number) =>
  Withdrawn({ customer, bank, amountCents, balanceAfterCents: 1_000_000 });
const deposited = (customer: string, bank: 'republic' | 'scotia' | 'first-citizens', amountCents: number) =>
  Deposited({ customer, bank, amountCents, balanceAfterCents: amountCents });
const at = (minute: number, second = 0) => ({ at: new Date(Date.UTC(2026, 2, 1, 10, minute, second)).toISOString() });

const watch = () => projection(crossBankWatch(defaultAlertRules));
const alerts = (view: ReturnType<typeof watch>) =>
  view.rows('Alerts').map((r) => [r.customer, r.withdrawalBank, r.withdrawalCents, r.depositBank, r.depositCents, r.gapSeconds]);

describe('cross-bank watch', () => {
  it('raises an alert linking a withdrawal at one bank and a similar deposit at another within 30 minutes', async () => {
    const view = watch();
    const events = feedOf([[withdrawn('U1', 'republic', 50_000), at(0)], [deposited('U1', 'scotia', 49_000), at(29, 59)]]);
    await view.given(events);
    expect(alerts(view)).toEqual([['U1', 'republic', 50_000, 'scotia', 49_000, 1799]]);
    const [alert] = view.rows('Alerts');
    expect(alert).toMatchObject({ alertId: events[1]!.id, withdrawalEventId: events[0]!.id, depositEventId: events[1]!.id, withdrawnAt: at(0).at, depositedAt: at(29, 59).at });
  });

  it('stays quiet for the same bank, a deposit too late, an amount too different, another customer, or a deposit first', async () => {
    const view = watch();
    await view.given(
      feedOf([
        [withdrawn('U1', 'republic', 50_000), at(0)],
        [deposited('U1', 'republic', 50_000), at(1)],
        [deposited('U1', 'scotia', 52_501), at(2)],
        [deposited('U2', 'scotia', 50_000), at(3)],
        [deposited('U1', 'scotia', 50_000), at(30, 1)],
        [deposited('U3', 'scotia', 10_000), at(40)],
        [withdrawn('U3', 'republic', 10_000), at(41)],
      ]),
    );
    expect(alerts(view)).toEqual([]);
  });

  it('answers each withdrawal once, with the deposit closest in amount', async () => {
    const view = watch();
    await view.given(
      feedOf([
        [withdrawn('U1', 'republic', 10_000), at(0)],
        [withdrawn('U1', 'first-citizens', 10_300), at(1)],
        [deposited('U1', 'scotia', 10_250), at(2)],
        [deposited('U1', 'scotia', 10_250), at(3)],
        [deposited('U1', 'scotia', 10_250), at(4)],
      ]),
    );
    expect(alerts(view)).toEqual([
      ['U1', 'first-citizens', 10_300, 'scotia', 10_250, 60],
      ['U1', 'republic', 10_000, 'scotia', 10_250, 180],
    ]);
  });

  it('follows its rules: a 2-minute window and a 1% tolerance', async () => {
    const view = projection(crossBankWatch({ windowMs: 120_000, tolerancePercent: 1 }));
    await view.given(
      feedOf([
        [withdrawn('U1', 'republic', 10_000), at(0)],
        [deposited('U1', 'scotia', 10_200), at(1)],
        [deposited('U1', 'scotia', 10_100), at(1, 30)],
        [withdrawn('U1', 'republic', 10_000), at(10)],
        [deposited('U1', 'scotia', 10_000), at(12, 1)],
      ]),
    );
    expect(alerts(view)).toEqual([['U1', 'republic', 10_000, 'scotia', 10_100, 90]]);
  });

  it('raises the alert again when a crash lost it but kept the customer’s row', async () => {
    const events = feedOf([[withdrawn('U1', 'republic', 50_000), at(0)], [deposited('U1', 'scotia', 50_000), at(5)]]);
    const view = watch();
    await view.given(events);
    view.tables.get('Alerts')!.rows.clear();
    await view.given(events);
    expect(alerts(view)).toEqual([['U1', 'republic', 50_000, 'scotia', 50_000, 300]]);
  });
});
