import { defineProjection, type ViewRow } from '@eventloom/core';
import { Deposited, Withdrawn, type DepositedData } from '@eventloom/banking-context/contracts';
import type { AlertRules } from '../config.ts';
import { afterDeposit, afterWithdrawal, emptyWatch, type CustomerWatch, type Movement } from './watch.ts';

export const customerPartition = 'customer';
export const alertPartition = 'alert';

/** A cross-bank alert as the `Alerts` view holds it (flat columns, so they can be filtered on). */
export interface AlertRow extends ViewRow {
  alertId: string;
  customer: string;
  withdrawalEventId: string;
  withdrawalBank: string;
  withdrawalCents: number;
  withdrawnAt: string;
  depositEventId: string;
  depositBank: string;
  depositCents: number;
  depositedAt: string;
  gapSeconds: number;
  differenceCents: number;
}

function watchOf(row: ViewRow | undefined): CustomerWatch {
  if (!row) return emptyWatch();
  const parse = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : (value ?? []));
  return { pending: parse(row.pending), matched: parse(row.matched) };
}

function alertRow(customer: string, withdrawal: Movement, deposit: Movement): AlertRow {
  return {
    partitionKey: alertPartition,
    rowKey: deposit.eventId,
    alertId: deposit.eventId,
    customer,
    withdrawalEventId: withdrawal.eventId,
    withdrawalBank: withdrawal.bank,
    withdrawalCents: withdrawal.amountCents,
    withdrawnAt: withdrawal.at,
    depositEventId: deposit.eventId,
    depositBank: deposit.bank,
    depositCents: deposit.amountCents,
    depositedAt: deposit.at,
    gapSeconds: Math.round(Math.abs(Date.parse(deposit.at) - Date.parse(withdrawal.at)) / 1000),
    differenceCents: deposit.amountCents - withdrawal.amountCents,
  };
}

/**
 * The cross-bank watch (seeds 000 and 003): a customer withdraws at one bank and,
 * within the window, deposits a similar amount at another. Views:
 * - `CustomerWatch` (PK `customer`, RK the customer id): each customer's open
 *   withdrawals (a session window per withdrawal) and recent matches.
 * - `Alerts` (PK `alert`, RK the alert id = the deposit's event id): both
 *   transactions, amounts, banks and times.
 *
 * Alerts are a view, not events: they follow from banking's feed and the rules, so a
 * rebuild (say after changing the window) recomputes them exactly, with the same ids.
 * What people decide about an alert is new information: that is an event (see decide.ts).
 */
export function crossBankWatch(rules: AlertRules) {
  return defineProjection({
    name: 'crossBankWatch',
    source: 'banking',
    tables: ['CustomerWatch', 'Alerts'],
    handles: [Withdrawn.type, Deposited.type],
    async apply(entry, { view }) {
      const { customer, bank, amountCents } = entry.data as DepositedData;
      const movement: Movement = { eventId: entry.id, bank, amountCents, at: entry.occurredAt };
      const watches = view('CustomerWatch');
      let withdrawal: Movement | undefined;
      await watches.update(customerPartition, customer, (row) => {
        const before = watchOf(row);
        let after: CustomerWatch;
        if (entry.type === Withdrawn.type) after = afterWithdrawal(before, movement, rules);
        else ({ watch: after, withdrawal } = afterDeposit(before, movement, rules));
        return { partitionKey: customerPartition, rowKey: customer, pending: JSON.stringify(after.pending), matched: JSON.stringify(after.matched) };
      });
      if (entry.type !== Deposited.type) return;
      // A replay finds the row already past this deposit: the match it made is remembered there.
      withdrawal ??= watchOf(await watches.get(customerPartition, customer)).matched.find((m) => m.deposit === entry.id)?.withdrawal;
      if (!withdrawal) return;
      const alert = alertRow(customer, withdrawal, movement);
      await view('Alerts').update(alertPartition, alert.rowKey, () => alert);
    },
  });
}
