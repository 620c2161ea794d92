import { projection, stored } from '@eventloom/core/testing';
import { describe, expect, it } from 'vitest';
import { deposited, frozen, opened, transferDeposited, transferExpired, unfrozen, withdrawn } from '../testing.ts';
import { eventLog, invertedTime, logRowKey } from './projection.ts';

describe('event log projection', () => {
  const entries = stored([opened('U1001', 'republic'), deposited('U1001', 'republic', 5_000, 5_000, 'pay'), withdrawn('U1001', 'republic', 200, 4_800)]).map(
    (entry, i) => ({ ...entry, stream: 'account-U1001-republic', occurredAt: new Date(Date.UTC(2026, 0, 1, 12, 0, i)).toISOString() }),
  );

  it('writes each event under all, its customer, its bank and its id', async () => {
    const rows = (await projection(eventLog).given(entries)).rows('EventLog');
    expect(new Set(rows.map((r) => r.partitionKey))).toEqual(new Set(['all', 'c:U1001', 'b:republic', 'id']));
    expect(rows.filter((r) => r.partitionKey === 'id').map((r) => r.rowKey)).toEqual(entries.map((e) => e.id).sort());
    expect(rows.find((r) => r.partitionKey === 'all' && r.type === 'Deposited')).toMatchObject({
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
    const rows = (await projection(eventLog).given(entries)).rows('EventLog').filter((r) => r.partitionKey === 'c:U1001');
    expect(rows.map((r) => r.type)).toEqual(['Withdrawn', 'Deposited', 'AccountOpened']);
  });

  it('orders events of the same millisecond by descending feed seq', () => {
    const at = '2026-01-01T00:00:00.000Z';
    expect(logRowKey(at, 10) < logRowKey(at, 9)).toBe(true);
    expect(logRowKey('2026-01-01T00:00:00.001Z', 1) < logRowKey(at, 999)).toBe(true);
    expect(invertedTime(0)).toBe('9999999999999');
  });

  it('writes the same rows when a batch is replayed', async () => {
    const view = projection(eventLog);
    await view.given(entries);
    const once = view.rows('EventLog');
    await view.given(entries);
    expect(view.rows('EventLog')).toEqual(once);
  });

  it('lists freezes and unfreezes with their reason and no amount', async () => {
    const rows = (await projection(eventLog).given(stored([opened('U1001', 'republic'), frozen('U1001', 'republic', 'stolen card'), unfrozen('U1001', 'republic')])))
      .rows('EventLog')
      .filter((r) => r.partitionKey === 'b:republic');
    expect(rows.map((r) => [r.type, r.amountCents, r.memo])).toEqual([
      ['AccountUnfrozen', 0, undefined],
      ['AccountFrozen', 0, 'stolen card'],
      ['AccountOpened', 0, undefined],
    ]);
  });

  it('names the transfer of a deposit and of an expiry', async () => {
    const rows = (await projection(eventLog).given(stored([transferDeposited('U2001', 'scotia', 'T-1', 700), transferExpired('U2001', 'scotia', 'T-2')])))
      .rows('EventLog')
      .filter((r) => r.partitionKey === 'all');
    expect(rows.map((r) => [r.type, r.amountCents, r.transferId])).toEqual([
      ['TransferDepositExpired', 0, 'T-2'],
      ['Deposited', 700, 'T-1'],
    ]);
  });
});
