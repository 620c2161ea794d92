import { z } from 'zod';

/** Customer ids become partition and stream keys: letters, digits, `_` and `-` only. */
export const customerId = z
  .string({ error: (issue) => (issue.input === undefined ? 'customer is required' : 'customer must be text') })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'customer must be 1-64 letters, digits, _ or - (e.g. U1001)');

/** One transaction moves at most $100,000,000.00. */
export const maxAmountCents = 10_000_000_000;

/** Money is exact: a positive whole number of cents, never a float of dollars. */
export const amountCents = z
  .number({
    error: (issue) =>
      issue.input === undefined ? 'amountCents is required' : 'amountCents must be a number of cents (e.g. 1250 for $12.50), not text',
  })
  .int('amountCents must be a whole number of cents; fractions of a cent are not money')
  .positive('amountCents must be more than zero')
  .max(maxAmountCents, `amountCents may be at most ${maxAmountCents} ($100,000,000.00)`);

/** A transfer's id, chosen by the transfer process; the same alphabet as customer ids. */
export const transferId = z
  .string({ error: (issue) => (issue.input === undefined ? 'transferId is required' : 'transferId must be text') })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'transferId must be 1-64 letters, digits, _ or -');

export const memo = z.string('memo must be text').max(200, 'memo may be at most 200 characters');

/** $1,234.56 from 123456 — for messages people read. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const dollars = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}$${dollars}.${String(abs % 100).padStart(2, '0')}`;
}
