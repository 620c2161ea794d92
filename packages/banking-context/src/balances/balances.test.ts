import { projection, stored } from '@eventloom/core/testing';
import type { FeedEntry, NewEvent } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { deposited, frozen, opened, unfrozen, voided, withdrawn } from '../testing.ts';
import { balances } from './projection.ts';

/** Feed entries across streams, with distinct ids and seqs (as the relay would write them). */
function feed(...events: NewEvent[]): FeedEntry[] {
  return stored(events).map((entry) => {
    const data = entry.data as { customer: string; bank: string };
    return { ...entry, stream: `account-${data.customer}-${data.bank}` };
  });
}

const history = feed(
  opened('U1001', 'republic'),
  deposited('U1001', 'republic', 100_000),
  withdrawn('U1001', 'republic', 2_000, 98_000, 'ATM'),
  opened('U1001', 'scotia'),
  deposited('U1001', 'scotia', 300_000),
  opened('U3001', 'scotia'),
  voided('U3001', 'scotia'),
);

describe('balances projection', () => {
  it('keeps a row per customer and bank with the balance and the last transaction', async () => {
    const view = await projection(balances).given(history);
    const rows = view.rows('Balances').map((r) => [r.partitionKey, r.rowKey, r.balanceCents, r.transactions, r.lastType, r.lastAmountCents]);
    expect(rows).toEqual([
      ['U1001', 'republic', 98_000, 2, 'Withdrawn', 2_000],
      ['U1001', 'scotia', 300_000, 1, 'Deposited', 300_000],
      ['U3001', 'scotia', 0, 1, 'Voided', 0],
    ]);
    expect(view.rows('Balances')[0]).toMatchObject({ bankName: 'Republic Bank', lastEventId: history[2]!.id, lastAt: history[2]!.occurredAt });
  });

  it('totals each bank and counts its accounts', async () => {
    const view = await projection(balances).given(history);
    expect(view.rows('BankTotals').map((r) => [r.rowKey, r.totalCents, r.accounts])).toEqual([
      ['republic', 98_000, 1],
      ['scotia', 300_000, 2],
    ]);
  });

  it('counts nothing twice when a batch is replayed', async () => {
    const view = projection(balances);
    await view.given(history);
    await view.given(history);
    await view.given(history.slice(3));
    expect(view.rows('BankTotals').map((r) => [r.rowKey, r.totalCents, r.accounts])).toEqual([
      ['republic', 98_000, 1],
      ['scotia', 300_000, 2],
    ]);
    expect(view.rows('Balances').map((r) => r.transactions)).toEqual([2, 1, 1]);
  });

  it('counts no transaction for a freeze or an unfreeze', async () => {
    const view = await projection(balances).given(feed(opened('U1001', 'republic'), deposited('U1001', 'republic', 500), frozen('U1001', 'republic'), unfrozen('U1001', 'republic')));
    expect(view.rows('Balances').map((r) => [r.balanceCents, r.transactions, r.lastType])).toEqual([[500, 1, 'Deposited']]);
  });
});
