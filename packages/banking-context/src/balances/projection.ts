import { defineProjection, type FeedEntry, type ViewRow } from '@eventloom/core';
import { bankById, type BankId } from '../banks.ts';
import { AccountOpened, Deposited, Voided, Withdrawn } from '../account/events.ts';

/**
 * View `Balances`: a row per account, PK = customer, RK = bank id (the seed's
 * materialized view). View `BankTotals`: a row per bank, PK `bank`, RK bank id.
 * Every row is computed from itself and the event alone, so the runner's per-row
 * seq makes a replayed event a no-op.
 */
export const balanceTables = { balances: 'Balances', bankTotals: 'BankTotals' } as const;
export const bankTotalsPartition = 'bank';

export interface BalanceRow extends ViewRow {
  customer: string;
  bank: BankId;
  bankName: string;
  balanceCents: number;
  transactions: number;
  openedAt: string;
  lastType?: string;
  lastAmountCents?: number;
  lastAt?: string;
  lastEventId?: string;
}

export interface BankTotalRow extends ViewRow {
  bank: BankId;
  bankName: string;
  totalCents: number;
  accounts: number;
  updatedAt: string;
}

interface AccountData {
  customer: string;
  bank: BankId;
  amountCents?: number;
  balanceAfterCents?: number;
}

export const balances = defineProjection({
  name: 'balances',
  tables: [balanceTables.balances, balanceTables.bankTotals],
  handles: [AccountOpened.type, Deposited.type, Withdrawn.type, Voided.type],
  async apply(entry, { view }) {
    const data = entry.data as AccountData;
    const delta = entry.type === Deposited.type ? data.amountCents! : entry.type === Withdrawn.type ? -data.amountCents! : 0;

    await view(balanceTables.balances).update(data.customer, data.bank, (row) => nextBalance(row as BalanceRow | undefined, entry, data));

    if (delta === 0 && entry.type !== AccountOpened.type) return;
    await view(balanceTables.bankTotals).update(bankTotalsPartition, data.bank, (row) => {
      const current = row as BankTotalRow | undefined;
      return {
        partitionKey: bankTotalsPartition,
        rowKey: data.bank,
        bank: data.bank,
        bankName: bankById(data.bank).name,
        totalCents: (current?.totalCents ?? 0) + delta,
        accounts: (current?.accounts ?? 0) + (entry.type === AccountOpened.type ? 1 : 0),
        updatedAt: entry.occurredAt,
      } satisfies BankTotalRow;
    });
  },
});

function nextBalance(row: BalanceRow | undefined, entry: FeedEntry, data: AccountData): BalanceRow {
  const base: BalanceRow = row ?? {
    partitionKey: data.customer,
    rowKey: data.bank,
    customer: data.customer,
    bank: data.bank,
    bankName: bankById(data.bank).name,
    balanceCents: 0,
    transactions: 0,
    openedAt: entry.occurredAt,
  };
  if (entry.type === AccountOpened.type) return { ...base, openedAt: entry.occurredAt };
  return {
    ...base,
    // The event carries the balance after it, so the row never drifts from the stream.
    balanceCents: data.balanceAfterCents ?? base.balanceCents,
    transactions: base.transactions + 1,
    lastType: entry.type,
    lastAmountCents: data.amountCents ?? 0,
    lastAt: entry.occurredAt,
    lastEventId: entry.id,
  };
}
