/** What other contexts may know of banking: its published events and their schemas. */
export { AccountOpened, Deposited, Voided, Withdrawn } from './account/events.ts';
export type { AccountOpenedData, DepositedData, VoidedData, WithdrawnData } from './account/events.ts';
export { bankByName, banks, type Bank, type BankId } from './banks.ts';
