import { decider, stored } from '@eventloom/core/testing';
import type { NewEvent } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { deposited, frozen, opened, principals, transferDeposited, transferExpired, unfrozen, voided } from '../testing.ts';
import { account } from './decide.ts';

// The decider decides at 2026-01-01T00:00:00Z unless told otherwise.
const platform = { principal: principals.admin };
const transfer = { id: 'T-1', notAfter: '2026-01-01T00:05:00Z' };
const deposit = { customer: 'U2001', bank: 'scotia', amountCents: 1_000, transfer };
const expire = { customer: 'U2001', bank: 'scotia', transferId: 'T-1' };
const open = [opened('U2001', 'scotia'), deposited('U2001', 'scotia', 500)];

describe('a transfer’s deposit', () => {
  it('records the transfer id in the deposit', () => {
    decider(account).given(open).when('deposit', deposit, platform).then([transferDeposited('U2001', 'scotia', 'T-1', 1_000, 1_500)]);
    decider(account).given([]).when('deposit', deposit, platform).then([opened('U2001', 'scotia'), transferDeposited('U2001', 'scotia', 'T-1', 1_000)]);
  });

  it('is refused when decided after its notAfter, and taken up to that instant', () => {
    decider(account).given(open).when('deposit', deposit, { ...platform, now: new Date('2026-01-01T00:05:00.001Z') }).thenThrows('transfer-expired');
    decider(account)
      .given(open)
      .when('deposit', deposit, { ...platform, now: new Date('2026-01-01T00:05:00Z') })
      .then([transferDeposited('U2001', 'scotia', 'T-1', 1_000, 1_500)]);
  });

  it('is refused once the transfer’s deposit has expired, even before its notAfter', () => {
    decider(account).given([...open, transferExpired('U2001', 'scotia', 'T-1')]).when('deposit', deposit, platform).thenThrows('transfer-expired');
    decider(account)
      .given([...open, transferExpired('U2001', 'scotia', 'T-0')])
      .when('deposit', deposit, platform)
      .then([transferDeposited('U2001', 'scotia', 'T-1', 1_000, 1_500)]);
  });

  it('lands once: a repeat of a deposit already in the account writes nothing', () => {
    decider(account).given([...open, transferDeposited('U2001', 'scotia', 'T-1', 1_000, 1_500)]).when('deposit', deposit, platform).then([]);
  });

  it('is refused by a frozen account, and taken again once unfrozen', () => {
    decider(account).given([...open, frozen('U2001', 'scotia')]).when('deposit', deposit, platform).thenThrows('account-frozen');
    decider(account)
      .given([...open, frozen('U2001', 'scotia'), unfrozen('U2001', 'scotia')])
      .when('deposit', deposit, platform)
      .then([transferDeposited('U2001', 'scotia', 'T-1', 1_000, 1_500)]);
  });

  it('is made only by the platform’s transfer process (an admin), not by owners, even of the bank', () => {
    decider(account).given(open).when('deposit', deposit, { principal: principals.scotiaOwner }).thenThrows('forbidden');
    decider(account).given(open).when('deposit', deposit, { principal: principals.consumer }).thenThrows('forbidden');
  });

  it('rejects a malformed transfer', () => {
    const bad: unknown[] = [
      { ...deposit, transfer: { id: '', notAfter: transfer.notAfter } },
      { ...deposit, transfer: { id: 'x'.repeat(65), notAfter: transfer.notAfter } },
      { ...deposit, transfer: { id: 'T 1', notAfter: transfer.notAfter } },
      { ...deposit, transfer: { id: 'T-1' } },
      { ...deposit, transfer: { id: 'T-1', notAfter: 'in five minutes' } },
      { ...deposit, transfer: { id: 'T-1', notAfter: '2026-01-01' } },
      { ...deposit, transfer: { ...transfer, amountCents: 1 } },
      { ...deposit, transferId: 'T-1' },
    ];
    for (const input of bad) expect(account.commands.deposit.schema.safeParse(input).success, JSON.stringify(input)).toBe(false);
    expect(account.commands.deposit.schema.safeParse({ ...deposit, transfer: { id: 'x'.repeat(64), notAfter: '2026-01-01T00:05:00.000+01:00' } }).success).toBe(true);
  });
});

describe('expiring a transfer’s deposit', () => {
  it('writes the expiry when the deposit has not landed, also at an account never opened', () => {
    decider(account).given(open).when('expireTransferDeposit', expire, platform).then([transferExpired('U2001', 'scotia', 'T-1')]);
    decider(account).given([]).when('expireTransferDeposit', expire, platform).then([transferExpired('U2001', 'scotia', 'T-1')]);
  });

  it('is refused with deposit-landed once the transfer’s deposit is in the account', () => {
    decider(account)
      .given([...open, transferDeposited('U2001', 'scotia', 'T-1', 1_000, 1_500)])
      .when('expireTransferDeposit', expire, platform)
      .thenThrows('deposit-landed');
  });

  it('writes nothing the second time', () => {
    decider(account).given([...open, transferExpired('U2001', 'scotia', 'T-1')]).when('expireTransferDeposit', expire, platform).then([]);
  });

  it('holds at a frozen account', () => {
    decider(account).given([...open, frozen('U2001', 'scotia')]).when('expireTransferDeposit', expire, platform).then([transferExpired('U2001', 'scotia', 'T-1')]);
  });

  it('is made only by the platform’s transfer process (an admin)', () => {
    decider(account).given(open).when('expireTransferDeposit', expire, { principal: principals.scotiaOwner }).thenThrows('forbidden');
    decider(account).given(open).when('expireTransferDeposit', expire, { principal: principals.consumer }).thenThrows('forbidden');
    expect(account.commands.expireTransferDeposit.schema.safeParse({ ...expire, transferId: 'T 1' }).success).toBe(false);
  });
});

describe('the account’s memory of transfers', () => {
  /** Events at the given instants, as the store would hand them to evolve. */
  const at = (...events: [string, NewEvent][]) => stored(events.map(([, event]) => event), 'account-U2001-scotia').map((entry, i) => ({ ...entry, occurredAt: events[i]![0] }));

  const history = at(
    ['2026-01-01T00:00:00.000Z', opened('U2001', 'scotia')],
    ['2026-01-01T00:00:00.000Z', transferExpired('U2001', 'scotia', 'T-old')],
    ['2026-01-01T00:00:00.000Z', transferDeposited('U2001', 'scotia', 'T-old-in', 100)],
    ['2026-01-01T12:00:00.000Z', transferDeposited('U2001', 'scotia', 'T-new', 100, 200)],
    ['2026-01-01T18:00:00.000Z', transferExpired('U2001', 'scotia', 'T-newer')],
    ['2026-01-02T00:00:00.001Z', voided('U2001', 'scotia')],
  );
  const later = { ...platform, now: new Date('2026-01-02T00:00:01Z') };

  it('forgets transfer ids a day older than the newest event and keeps the rest', () => {
    const { state } = decider(account).given(history);
    expect(state.transfers?.map((mark) => [mark.id, mark.outcome])).toEqual([
      ['T-new', 'deposited'],
      ['T-newer', 'expired'],
    ]);
    expect(decider(account).given(history.slice(0, 5)).state.transfers?.map((mark) => mark.id)).toEqual(['T-old', 'T-old-in', 'T-new', 'T-newer']);
  });

  it('still settles the transfers it keeps', () => {
    const after = decider(account).given(history);
    after.when('expireTransferDeposit', { ...expire, transferId: 'T-new' }, later).thenThrows('deposit-landed');
    after.when('deposit', { ...deposit, transfer: { id: 'T-newer', notAfter: '2026-01-02T00:05:00Z' } }, later).thenThrows('transfer-expired');
    after.when('deposit', { ...deposit, transfer: { id: 'T-new', notAfter: '2026-01-02T00:05:00Z' } }, later).then([]);
  });
});

describe('an account snapshot saved before freezing and transfers existed', () => {
  const old = { opened: true, balanceCents: 500 };
  const context = { principal: principals.admin, now: new Date('2026-01-01T00:00:00Z') };

  it('is read as not frozen and knowing no transfers', () => {
    const input = account.commands.deposit.schema.parse(deposit);
    expect(account.commands.deposit.decide(input, old, context).map((e) => e.data)).toEqual([transferDeposited('U2001', 'scotia', 'T-1', 1_000, 1_500).data]);
    const [entry] = stored([transferExpired('U2001', 'scotia', 'T-1')]);
    expect(account.evolve(old, entry!)).toEqual({ ...old, transfers: [{ id: 'T-1', outcome: 'expired', at: entry!.occurredAt }] });
  });
});
