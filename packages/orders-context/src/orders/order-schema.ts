import { z } from '@hono/zod-openapi';

/**
 * An order exactly as the web shop sends it (seed 004's JSON schema), with the
 * bounds the schema leaves open: strings are non-empty, quantities are positive
 * whole numbers, money has at most two decimals. Unknown fields are refused, so a
 * misspelt optional field is an error rather than silently lost data.
 */

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** True when a number of currency units has at most two decimals (19.99 yes, 19.999 no). */
export function hasCents(amount: number): boolean {
  return Number.isFinite(amount) && Math.abs(amount * 100 - Math.round(amount * 100)) < 1e-6;
}

/** 19.99 → 1999. Only for amounts `hasCents` accepts. */
export const toCents = (amount: number): number => Math.round(amount * 100);

const money = (what: string, max: number) =>
  z
    .number(`${what} must be a number`)
    .positive(`${what} must be more than 0`)
    .max(max, `${what} must be at most ${max}`)
    .refine(hasCents, `${what} must have at most two decimals`);

const email = z.email('must be an email address').max(254);

/** Lines per order, and units per line: generous for a video shop, small enough to refuse junk. */
export const maxDetails = 100;
export const maxQuantity = 1_000;

/** Payment transaction ids key the stored order: characters Azure Table keys and URLs take as they are. */
export const paymentTransactionId = z
  .string('must be a string')
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1-100 letters, digits or . _ : -');

export const OrderDetailInput = z
  .object({
    Email: email,
    ProductId: z.number('must be a number').int('must be a whole number').positive('must be positive'),
    Quantity: z.number('must be a number').int('must be a whole number').positive('must be at least 1').max(maxQuantity, `must be at most ${maxQuantity}`),
    UnitPrice: money('UnitPrice', 100_000),
  })
  .strict()
  .openapi('OrderDetail');

export const OrderInput = z
  .object({
    Region: text(50),
    OrderDate: z.iso.datetime({ offset: true, local: true, error: 'must be an ISO 8601 date and time, e.g. 2026-03-01T14:05:00Z' }),
    FirstName: text(100),
    LastName: text(100),
    Address: text(200),
    City: text(100),
    State: text(100),
    PostalCode: text(20),
    Country: text(100),
    Phone: z.string().trim().regex(/^[0-9+()\-. x]{3,30}$/, 'must be 3-30 digits, spaces or + ( ) - . x'),
    SMSOptIn: z.boolean('must be true or false').optional(),
    SMSStatus: text(50).optional(),
    Email: email,
    ReceiptUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048).optional(),
    Total: money('Total', 10_000_000),
    PaymentTransactionId: paymentTransactionId,
    HasBeenShipped: z.boolean('must be true or false').optional(),
    Details: z.array(OrderDetailInput, 'must be a list of order lines').min(1, 'an order has at least one line').max(maxDetails, `an order has at most ${maxDetails} lines`),
  })
  .strict()
  .openapi('Order', { description: 'An order as the web shop sends it (seed 004).' });

export type OrderInput = z.infer<typeof OrderInput>;
