import { describe, expect, it } from 'vitest';
import { Ledger, type MoneyWrite } from './ledger.ts';

const account = { customer: 'LD01', bank: 'republic' as const };
const write = (idempotencyKey: string, kind: MoneyWrite['kind'], amountCents: number): MoneyWrite => ({ account, kind, amountCents, idempotencyKey, token: 't' });

describe('the ledger of acknowledged writes', () => {
  it('expects the starting balance plus every acknowledged movement', () => {
    const ledger = new Ledger([account]);
    ledger.setStart(account, 1_000);
    ledger.acknowledged(write('a', 'deposit', 500));
    ledger.acknowledged(write('b', 'withdraw', 200));
    ledger.refused(write('c', 'withdraw', 9_999));
    expect(ledger.expected(account)).toBe(1_300);
  });

  it('counts a key once, however often the gateway acknowledges it', () => {
    const ledger = new Ledger([account]);
    ledger.acknowledged(write('a', 'deposit', 500));
    ledger.acknowledged(write('a', 'deposit', 500));
    expect(ledger.expected(account)).toBe(500);
    expect(ledger.writes.acknowledged).toBe(1);
  });

  it('keeps an unanswered write pending until an answer to it arrives', () => {
    const ledger = new Ledger([account]);
    ledger.unanswered(write('a', 'deposit', 500));
    expect(ledger.pending()).toHaveLength(1);
    expect(ledger.expected(account)).toBe(0);
    ledger.acknowledged(write('a', 'deposit', 500));
    expect(ledger.pending()).toEqual([]);
    expect(ledger.expected(account)).toBe(500);
  });
});
