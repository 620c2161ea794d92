import { defineEvent } from '@eventloom/core';
import { z } from 'zod';
import { bankId } from '../banks.ts';

// Who did it and when live in the envelope (`who`, `occurredAt`); the data says
// what happened to which account, and why (the memo).
const account = { customer: z.string(), bank: bankId };
const memo = z.string().optional();

export const AccountOpened = defineEvent('AccountOpened', {
  schema: z.object(account),
  description: 'A customer made a first transaction at a bank; the account exists from now on.',
});

export const Deposited = defineEvent('Deposited', {
  schema: z.object({
    ...account,
    amountCents: z.number().int().positive(),
    balanceAfterCents: z.number().int(),
    memo,
    /** Set when the money is a transfer's: the transfer process deposited it. */
    transferId: z.string().optional(),
    /** A transfer's deposit: the owner who started the transfer (the process deposits on the platform's authority). */
    requestedBy: z.string().optional(),
  }),
  description: 'Money went into an account (with `transferId` when a transfer brought it).',
});

export const Withdrawn = defineEvent('Withdrawn', {
  schema: z.object({ ...account, amountCents: z.number().int().positive(), balanceAfterCents: z.number().int().nonnegative(), memo }),
  description: 'Money came out of an account (never below zero).',
});

export const Voided = defineEvent('Voided', {
  schema: z.object({ ...account, memo }),
  description: 'A zero-amount transaction: registers the customer at the bank, no effect on the balance.',
});

export const AccountFrozen = defineEvent('AccountFrozen', {
  schema: z.object({ ...account, memo }),
  description: "The bank's owner froze the account: deposits and withdrawals are refused until it is unfrozen.",
});

export const AccountUnfrozen = defineEvent('AccountUnfrozen', {
  schema: z.object({ ...account, memo }),
  description: 'The account takes deposits and withdrawals again.',
});

export const TransferDepositExpired = defineEvent('TransferDepositExpired', {
  schema: z.object({ ...account, transferId: z.string() }),
  description: "A transfer's deposit into this account timed out: from now on the account refuses it, and the transfer refunds the sender.",
});

export const TransferWithdrawalRefused = defineEvent('TransferWithdrawalRefused', {
  schema: z.object({ ...account, amountCents: z.number().int().positive(), transferId: z.string(), code: z.string(), detail: z.string() }),
  description:
    "A transfer's withdrawal was refused (the account is frozen, or the funds are short): stored, so every send of the step gets this answer and none may land later. Nothing moved.",
});

export type AccountOpenedData = z.infer<typeof AccountOpened.schema>;
export type DepositedData = z.infer<typeof Deposited.schema>;
export type WithdrawnData = z.infer<typeof Withdrawn.schema>;
export type VoidedData = z.infer<typeof Voided.schema>;

/** Every banking event: a first transaction's in the order it writes them, then the rest. */
export const accountEvents = [AccountOpened, Deposited, Withdrawn, Voided, AccountFrozen, AccountUnfrozen, TransferDepositExpired, TransferWithdrawalRefused];
export const accountEventTypes = [
  AccountOpened.type,
  Deposited.type,
  Withdrawn.type,
  Voided.type,
  AccountFrozen.type,
  AccountUnfrozen.type,
  TransferDepositExpired.type,
  TransferWithdrawalRefused.type,
] as const;
export type AccountEventType = (typeof accountEventTypes)[number];
