import type { Principal } from '@eventloom/core';
import { AccountFrozen, AccountOpened, AccountUnfrozen, Deposited, TransferDepositExpired, Voided, Withdrawn } from './account/events.ts';
import type { BankId } from './banks.ts';

/** Who calls, in tests: an owner per bank (tokens carry the bank's name), an admin, a consumer. */
export const principals = {
  firstCitizensOwner: { sub: 'owner.firstcitizens', role: 'owner', bank: 'First Citizens' },
  republicOwner: { sub: 'owner.republic', role: 'owner', bank: 'Republic Bank' },
  scotiaOwner: { sub: 'owner.scotia', role: 'owner', bank: 'Scotia Bank' },
  admin: { sub: 'admin', role: 'admin' },
  consumer: { sub: 'consumer.demo', role: 'consumer', contexts: ['*'] },
} satisfies Record<string, Principal>;

/** Events for tests of code that consumes banking's contracts. */
export const opened = (customer: string, bank: BankId) => AccountOpened({ customer, bank });
export const deposited = (customer: string, bank: BankId, amountCents: number, balanceAfterCents = amountCents, memo?: string) =>
  Deposited({ customer, bank, amountCents, balanceAfterCents, ...(memo ? { memo } : {}) });
export const withdrawn = (customer: string, bank: BankId, amountCents: number, balanceAfterCents: number, memo?: string) =>
  Withdrawn({ customer, bank, amountCents, balanceAfterCents, ...(memo ? { memo } : {}) });
export const voided = (customer: string, bank: BankId, memo?: string) => Voided({ customer, bank, ...(memo ? { memo } : {}) });
export const frozen = (customer: string, bank: BankId, memo?: string) => AccountFrozen({ customer, bank, ...(memo ? { memo } : {}) });
export const unfrozen = (customer: string, bank: BankId, memo?: string) => AccountUnfrozen({ customer, bank, ...(memo ? { memo } : {}) });
/** A transfer's deposit (the transfer process's), and its expiry. */
export const transferDeposited = (customer: string, bank: BankId, transferId: string, amountCents: number, balanceAfterCents = amountCents) =>
  Deposited({ customer, bank, amountCents, balanceAfterCents, transferId });
export const transferExpired = (customer: string, bank: BankId, transferId: string) => TransferDepositExpired({ customer, bank, transferId });
