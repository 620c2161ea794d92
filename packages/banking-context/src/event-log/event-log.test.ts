import { projection, stored } from '@eventloom/core/testing';
import { describe, expect, it } from 'vitest';
import { deposited, frozen, opened, transferDeposited, transferExpired, unfrozen, withdrawn } from '../testing.ts';
import { idRowKey, invertedTime, ledger, logPartition, logRange, logRowKey, type LogRange } from './projection.ts';

/** The rows of one listing, in the order a range query returns them. */
const listing = <Row extends { rowKey: string }>(rows: Row[], { prefix, end }: LogRange) => rows.filter((r) => r.rowKey >= prefix && r.rowKey < end).sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));

describe('event log projection', () => {
  const entries = stored([opened('U1001', 'republic'), deposited('U1001', 'republic', 5_000, 5_000, 'pay'), withdrawn('U1001', 'republic', 200, 4_800)]).map(
    (entry, i) => ({ ...entry, stream: 'account-U1001-republic', occurredAt: new Date(Date.UTC(2026, 0, 1, 12, 0, i)).toISOString() }),
  );

  it('writes each event under all, its customer, its bank and its id, in one partition', async () => {
    const [other] = stored([deposited('U2002', 'scotia', 100)]).map((entry) => ({ ...entry, seq: 4, id: crypto.randomUUID(), stream: 'account-U2002-scotia' }));
    const rows = (await projection(ledger).given([...entries, other!])).rows('Ledger');
    // Whatever customers and banks a batch touches, its rows are one transaction.
    expect(new Set(rows.map((r) => r.partitionKey))).toEqual(new Set([logPartition]));
    expect(rows).toHaveLength(4 * 4);
    expect(listing(rows, logRange.all)).toHaveLength(4);
    expect(listing(rows, logRange.customer('U1001'))).toHaveLength(3);
    expect(listing(rows, logRange.customer('U2002'))).toHaveLength(1);
    expect(listing(rows, logRange.bank('republic'))).toHaveLength(3);
    expect(listing(rows, logRange.bank('scotia'))).toHaveLength(1);
    expect(rows.filter((r) => r.rowKey.startsWith('i|')).map((r) => r.rowKey).sort()).toEqual([...entries, other!].map((e) => idRowKey(e.id)).sort());
    expect(listing(rows, logRange.all).find((r) => r.type === 'Deposited' && r.customer === 'U1001')).toMatchObject({
      customer: 'U1001',
      bank: 'republic',
      bankName: 'Republic Bank',
      amountCents: 5_000,
      balanceAfterCents: 5_000,
      memo: 'pay',
      who: 'test',
      stream: 'account-U1001-republic',
      version: 2,
      seq: 2,
    });
  });

  it('orders a partition newest first by its row keys', async () => {
    const rows = listing((await projection(ledger).given(entries)).rows('Ledger'), logRange.customer('U1001'));
    expect(rows.map((r) => r.type)).toEqual(['Withdrawn', 'Deposited', 'AccountOpened']);
  });

  it('orders events of the same millisecond by descending feed seq', () => {
    const at = '2026-01-01T00:00:00.000Z';
    expect(logRowKey(at, 10) < logRowKey(at, 9)).toBe(true);
    expect(logRowKey('2026-01-01T00:00:00.001Z', 1) < logRowKey(at, 999)).toBe(true);
    expect(invertedTime(0)).toBe('9999999999999');
  });

  it('writes the same rows when a batch is replayed', async () => {
    const view = projection(ledger);
    await view.given(entries);
    const once = view.rows('Ledger');
    await view.given(entries);
    expect(view.rows('Ledger')).toEqual(once);
  });

  it('lists freezes and unfreezes with their reason and no amount', async () => {
    const all = (await projection(ledger).given(stored([opened('U1001', 'republic'), frozen('U1001', 'republic', 'stolen card'), unfrozen('U1001', 'republic')])))
      .rows('Ledger');
    const rows = listing(all, logRange.bank('republic'));
    expect(rows.map((r) => [r.type, r.amountCents, r.memo])).toEqual([
      ['AccountUnfrozen', 0, undefined],
      ['AccountFrozen', 0, 'stolen card'],
      ['AccountOpened', 0, undefined],
    ]);
  });

  it('names the transfer of a deposit and of an expiry', async () => {
    const all = (await projection(ledger).given(stored([transferDeposited('U2001', 'scotia', 'T-1', 700), transferExpired('U2001', 'scotia', 'T-2')])))
      .rows('Ledger');
    const rows = listing(all, logRange.all);
    expect(rows.map((r) => [r.type, r.amountCents, r.transferId])).toEqual([
      ['TransferDepositExpired', 0, 'T-2'],
      ['Deposited', 700, 'T-1'],
    ]);
  });
});
