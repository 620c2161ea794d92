/** What other contexts may know of banking: its published events and their schemas. */
export { AccountOpened, Deposited, type AccountOpenedData, type DepositedData } from './published/account.ts';
export { Voided, Withdrawn } from './account/events.ts';
export type { VoidedData, WithdrawnData } from './account/events.ts';
export { bankByName, banks, type Bank, type BankId } from './banks.ts';
