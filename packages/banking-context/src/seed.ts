import type { ContextRuntime, Principal } from '@eventloom/core';
import type { BankId } from './banks.ts';

type Step = [type: 'deposit' | 'withdraw' | 'void', customer: string, bank: BankId, amountCents: number | null, memo?: string];

/**
 * Demo data (seed 000's screen): four customers at several banks. U1001's story is
 * the one owners watch for: cash out of Republic Bank, the same sum into Scotia Bank.
 */
const steps: Step[] = [
  ['deposit', 'U1001', 'republic', 150_000, 'opening deposit'],
  ['withdraw', 'U1001', 'republic', 500, 'ATM'],
  ['withdraw', 'U1001', 'republic', 1_500, 'groceries'],
  ['deposit', 'U1001', 'scotia', 250_000, 'salary'],
  ['withdraw', 'U1001', 'republic', 50_000, 'cash withdrawal'],
  ['deposit', 'U1001', 'scotia', 50_000, 'cash deposit'],
  ['deposit', 'U2001', 'first-citizens', 25_000, 'opening deposit'],
  ['withdraw', 'U2001', 'first-citizens', 4_000, 'utilities'],
  ['deposit', 'U2001', 'republic', 7_550, 'refund'],
  ['deposit', 'U3001', 'republic', 350_000, 'opening deposit'],
  ['void', 'U3001', 'scotia', null, 'registered at Scotia Bank'],
  ['deposit', 'U4001', 'first-citizens', 120_000, 'opening deposit'],
  ['deposit', 'U4001', 'scotia', 6_000, 'opening deposit'],
  ['withdraw', 'U4001', 'scotia', 2_000, 'fees'],
  ['void', 'U4001', 'republic', null, 'registered at Republic Bank'],
];

const seeder: Principal = { sub: 'seed', role: 'admin', name: 'Demo data' };

/** Runs the demo transactions in order (the runtime calls it once per store). */
export async function seedDemo(runtime: ContextRuntime): Promise<void> {
  for (const [i, [type, customer, bank, amountCents, memo]] of steps.entries()) {
    await runtime.execute('account', type, { customer, bank, ...(amountCents !== null ? { amountCents } : {}), ...(memo ? { memo } : {}) }, {
      principal: seeder,
      // A re-run after a crash half-way applies each step once.
      idempotencyKey: `seed-${i}`,
    });
  }
}
