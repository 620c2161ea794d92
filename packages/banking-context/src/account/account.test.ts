import { decider } from '@eventloom/core/testing';
import { describe, expect, it } from 'vitest';
import { deposited, frozen, opened, principals, unfrozen, voided, withdrawn } from '../testing.ts';
import { account, accountStream } from './decide.ts';
import { maxAmountCents } from './fields.ts';

const republicOwner = { principal: principals.republicOwner };

describe('account decider', () => {
  it('opens the account on a first deposit', () => {
    decider(account)
      .given([])
      .when('deposit', { customer: 'U1001', bank: 'republic', amountCents: 10_000, memo: 'salary' }, republicOwner)
      .then([opened('U1001', 'republic'), deposited('U1001', 'republic', 10_000, 10_000, 'salary')]);
  });

  it('adds a deposit to an open account', () => {
    decider(account)
      .given([opened('U1001', 'republic'), deposited('U1001', 'republic', 10_000)])
      .when('deposit', { customer: 'U1001', bank: 'republic', amountCents: 250 }, republicOwner)
      .then([deposited('U1001', 'republic', 250, 10_250)]);
  });

  it('allows a withdrawal within the balance, down to zero', () => {
    const history = [opened('U1001', 'republic'), deposited('U1001', 'republic', 10_000)];
    decider(account)
      .given(history)
      .when('withdraw', { customer: 'U1001', bank: 'republic', amountCents: 1_500, memo: 'ATM' }, republicOwner)
      .then([withdrawn('U1001', 'republic', 1_500, 8_500, 'ATM')]);
    decider(account)
      .given(history)
      .when('withdraw', { customer: 'U1001', bank: 'republic', amountCents: 10_000 }, republicOwner)
      .then([withdrawn('U1001', 'republic', 10_000, 0)]);
  });

  it('rejects a withdrawal above the balance', () => {
    decider(account)
      .given([opened('U1001', 'republic'), deposited('U1001', 'republic', 10_000)])
      .when('withdraw', { customer: 'U1001', bank: 'republic', amountCents: 10_001 }, republicOwner)
      .thenThrows('insufficient-funds');
  });

  it('rejects a withdrawal from an account that does not exist yet', () => {
    decider(account).given([]).when('withdraw', { customer: 'U1001', bank: 'republic', amountCents: 1 }).thenThrows('insufficient-funds');
  });

  it('registers a customer with a void that moves no money', () => {
    decider(account)
      .given([])
      .when('void', { customer: 'U3001', bank: 'scotia', memo: 'registration' })
      .then([opened('U3001', 'scotia'), voided('U3001', 'scotia', 'registration')]);
    const after = decider(account).given([opened('U3001', 'scotia'), deposited('U3001', 'scotia', 500), voided('U3001', 'scotia')]);
    expect(after.state).toEqual({ opened: true, balanceCents: 500, frozen: false, transfers: [] });
    after.when('void', { customer: 'U3001', bank: 'scotia' }).then([voided('U3001', 'scotia')]);
  });

  it('lets an owner transact only at their own bank', () => {
    const input = { customer: 'U1001', bank: 'republic', amountCents: 100 };
    decider(account).given([]).when('deposit', input, { principal: principals.scotiaOwner }).thenThrows('forbidden');
    decider(account).given([]).when('void', { customer: 'U1001', bank: 'republic' }, { principal: principals.scotiaOwner }).thenThrows('forbidden');
    decider(account).given([]).when('deposit', input, { principal: { sub: 'owner.nobank', role: 'owner' } }).thenThrows('forbidden');
    decider(account).given([]).when('deposit', input, republicOwner).then([opened('U1001', 'republic'), deposited('U1001', 'republic', 100)]);
  });

  it('lets an admin transact at any bank and refuses consumers', () => {
    for (const bank of ['first-citizens', 'republic', 'scotia'] as const) {
      decider(account)
        .given([])
        .when('deposit', { customer: 'U2001', bank, amountCents: 1 }, { principal: principals.admin })
        .then([opened('U2001', bank), deposited('U2001', bank, 1)]);
    }
    decider(account)
      .given([])
      .when('deposit', { customer: 'U2001', bank: 'republic', amountCents: 1 }, { principal: principals.consumer })
      .thenThrows('forbidden');
  });

  it('names the refused bank as the field at fault', () => {
    decider(account)
      .given([])
      .when('deposit', { customer: 'U1001', bank: 'republic', amountCents: 100 }, { principal: principals.scotiaOwner })
      .thenThrows((error) => (error as { problem?: { status: number; errors?: Record<string, string[]> } }).problem?.status === 403 &&
        /Scotia Bank.*Republic Bank/.test((error as { problem: { errors: { bank: string[] } } }).problem.errors.bank[0]!));
  });

  it('rejects amounts that are not a positive whole number of cents, and keys that could break storage', () => {
    const bad: unknown[] = [
      { customer: 'U1001', bank: 'republic', amountCents: 0 },
      { customer: 'U1001', bank: 'republic', amountCents: -5 },
      { customer: 'U1001', bank: 'republic', amountCents: 12.5 },
      { customer: 'U1001', bank: 'republic', amountCents: '100' },
      { customer: 'U1001', bank: 'republic', amountCents: maxAmountCents + 1 },
      { customer: 'U1001', bank: 'republic' },
      { customer: 'U1001', bank: 'chase', amountCents: 100 },
      { customer: "U1001' or '1'='1", bank: 'republic', amountCents: 100 },
      { customer: 'U1001--', bank: 'republic', amountCents: 100, extra: true },
      { customer: 'x'.repeat(257), bank: 'republic', amountCents: 100 },
      { customer: 'U1001', bank: 'republic', amountCents: 100, memo: 'm'.repeat(201) },
    ];
    for (const input of bad) {
      expect(account.commands.deposit.schema.safeParse(input).success, JSON.stringify(input).slice(0, 80)).toBe(false);
    }
    expect(account.commands.deposit.schema.safeParse({ customer: 'U1001', bank: 'republic', amountCents: maxAmountCents }).success).toBe(true);
  });

  it('keeps each account on its own stream', () => {
    expect(accountStream('U1001', 'republic')).toBe('account-U1001-republic');
  });
});

describe('freezing an account', () => {
  const open = [opened('U1001', 'republic'), deposited('U1001', 'republic', 10_000)];
  const key = { customer: 'U1001', bank: 'republic' };

  it('lets the owner of its bank freeze an account, with a reason', () => {
    decider(account).given(open).when('freeze', { ...key, memo: 'reported stolen card' }, republicOwner).then([frozen('U1001', 'republic', 'reported stolen card')]);
    decider(account).given(open).when('freeze', key, { principal: principals.admin }).then([frozen('U1001', 'republic')]);
  });

  it('refuses deposits and withdrawals while the account is frozen', () => {
    const frozenAccount = decider(account).given([...open, frozen('U1001', 'republic')]);
    frozenAccount.when('deposit', { ...key, amountCents: 100 }, republicOwner).thenThrows('account-frozen');
    frozenAccount.when('withdraw', { ...key, amountCents: 100 }, republicOwner).thenThrows('account-frozen');
    frozenAccount.when('deposit', { ...key, amountCents: 100 }, { principal: principals.admin }).thenThrows('account-frozen');
  });

  it('takes deposits and withdrawals again once unfrozen', () => {
    decider(account).given([...open, frozen('U1001', 'republic')]).when('unfreeze', { ...key, memo: 'card found' }, republicOwner).then([unfrozen('U1001', 'republic', 'card found')]);
    const thawed = decider(account).given([...open, frozen('U1001', 'republic'), unfrozen('U1001', 'republic')]);
    thawed.when('deposit', { ...key, amountCents: 100 }, republicOwner).then([deposited('U1001', 'republic', 100, 10_100)]);
    thawed.when('withdraw', { ...key, amountCents: 100 }, republicOwner).then([withdrawn('U1001', 'republic', 100, 9_900)]);
  });

  it('refuses to freeze a frozen account or unfreeze one that is not frozen', () => {
    decider(account).given([...open, frozen('U1001', 'republic')]).when('freeze', key, republicOwner).thenThrows('already-frozen');
    decider(account).given(open).when('unfreeze', key, republicOwner).thenThrows('not-frozen');
    decider(account).given([...open, frozen('U1001', 'republic'), unfrozen('U1001', 'republic')]).when('unfreeze', key, republicOwner).thenThrows('not-frozen');
  });

  it('refuses to freeze an account that was never opened', () => {
    decider(account).given([]).when('freeze', key, republicOwner).thenThrows('no-account');
  });

  it('lets only the owner of the account’s bank, or an admin, freeze or unfreeze it', () => {
    decider(account).given(open).when('freeze', key, { principal: principals.scotiaOwner }).thenThrows('forbidden');
    decider(account).given(open).when('freeze', key, { principal: principals.consumer }).thenThrows('forbidden');
    decider(account).given([...open, frozen('U1001', 'republic')]).when('unfreeze', key, { principal: principals.scotiaOwner }).thenThrows('forbidden');
  });

  it('keeps the balance through a freeze', () => {
    expect(decider(account).given([...open, frozen('U1001', 'republic')]).state).toMatchObject({ balanceCents: 10_000, frozen: true });
  });
});
