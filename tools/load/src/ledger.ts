import { banks, type BankId } from '@eventloom/banking-context/contracts';

export interface AccountRef {
  customer: string;
  bank: BankId;
}

export const accountName = (a: AccountRef) => `${a.customer}/${a.bank}`;

/**
 * The accounts the load writes to: the demo customers (seeded balances) and customers of
 * the tool's own, each at every bank. Fixed names, so a run against a running gateway
 * continues the balances of the last one (read before the run starts).
 */
export function loadAccounts(ownCustomers = 20): AccountRef[] {
  const customers = ['U1001', 'U2001', 'U3001', 'U4001', ...Array.from({ length: ownCustomers }, (_, i) => `LD${String(i + 1).padStart(2, '0')}`)];
  return customers.flatMap((customer) => banks.map((bank) => ({ customer, bank: bank.id })));
}

/** A money movement as it was sent, so an unanswered one can be sent again with its key. */
export interface MoneyWrite {
  account: AccountRef;
  kind: 'deposit' | 'withdraw';
  amountCents: number;
  idempotencyKey: string;
  token: string;
}

export const effectOf = (write: MoneyWrite) => (write.kind === 'deposit' ? write.amountCents : -write.amountCents);

/**
 * What the gateway acknowledged, per account: the starting balance read before the run
 * plus every acknowledged movement, each idempotency key counted once. Writes that got no
 * clear answer (a network error, a 5xx) are kept to be sent again after the run.
 */
export class Ledger {
  readonly accounts: AccountRef[];
  private readonly start = new Map<string, number>();
  private readonly moved = new Map<string, number>();
  private readonly counted = new Set<string>();
  private readonly unsure = new Map<string, MoneyWrite>();
  readonly writes = { acknowledged: 0, refused: 0, unanswered: 0 };

  constructor(accounts: AccountRef[]) {
    this.accounts = accounts;
  }

  setStart(account: AccountRef, cents: number): void {
    this.start.set(accountName(account), cents);
  }

  /** The gateway said it applied the write (or had applied it: a duplicate answer). */
  acknowledged(write: MoneyWrite): void {
    this.unsure.delete(write.idempotencyKey);
    if (this.counted.has(write.idempotencyKey)) return;
    this.counted.add(write.idempotencyKey);
    this.writes.acknowledged++;
    const name = accountName(write.account);
    this.moved.set(name, (this.moved.get(name) ?? 0) + effectOf(write));
  }

  /** The gateway said it did not apply it (a 4xx: insufficient funds, busy stream, validation). */
  refused(write: MoneyWrite): void {
    this.unsure.delete(write.idempotencyKey);
    this.writes.refused++;
  }

  /** No clear answer: it may or may not have been applied. */
  unanswered(write: MoneyWrite): void {
    if (this.counted.has(write.idempotencyKey)) return;
    this.writes.unanswered++;
    this.unsure.set(write.idempotencyKey, write);
  }

  /** Writes still without a clear answer. */
  pending(): MoneyWrite[] {
    return [...this.unsure.values()];
  }

  /** The balance the gateway must show: the starting balance plus what it acknowledged. */
  expected(account: AccountRef): number {
    const name = accountName(account);
    return (this.start.get(name) ?? 0) + (this.moved.get(name) ?? 0);
  }

  /** Accounts some write (acknowledged or not) touched. */
  touched(): AccountRef[] {
    const names = new Set([...this.moved.keys(), ...[...this.unsure.values()].map((w) => accountName(w.account))]);
    return this.accounts.filter((a) => names.has(accountName(a)));
  }
}
