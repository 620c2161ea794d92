import { issuesToErrors } from '@eventloom/core';
import { OrderInput, toCents } from './order-schema.ts';
import type { OrderPlacedData } from './events.ts';

/** What validation needs to know of the catalog: which movies exist, and their category. */
export interface OrderCatalog {
  movie(id: number): { categoryId: number } | undefined;
}

export type OrderValidation = { ok: true; order: OrderPlacedData } | { ok: false; errors: Record<string, string[]> };

export interface ValidateOptions {
  /** Orders dated more than a day after this are refused (default: now). */
  now?: Date;
}

/** Totals may differ from the sum of their lines by this much (a sender rounding floats). */
export const totalToleranceCents = 1;
const earliestOrderDate = Date.parse('2000-01-01T00:00:00Z');
const dayMs = 86_400_000;

/** A catalog from a list of movies. */
export function catalogOf(movies: Iterable<{ id: number; categoryId: number }>): OrderCatalog {
  const byId = new Map<number, { categoryId: number }>();
  for (const movie of movies) byId.set(movie.id, { categoryId: movie.categoryId });
  return { movie: (id) => byId.get(id) };
}

/**
 * Pure: the shop's JSON → the OrderPlaced data, or field errors keyed by path
 * (`Details.0.Quantity`). Beyond the schema: every ProductId is in the catalog,
 * Total equals the sum of Quantity × UnitPrice within a cent, and the order is not
 * dated before 2000 or more than a day ahead.
 */
export function validateOrder(json: unknown, catalog: OrderCatalog, options: ValidateOptions = {}): OrderValidation {
  const parsed = OrderInput.safeParse(json);
  if (!parsed.success) return { ok: false, errors: issuesToErrors(parsed.error.issues) };
  const input = parsed.data;
  const errors: Record<string, string[]> = {};
  const fail = (field: string, message: string) => (errors[field] ??= []).push(message);

  // A date without an offset is read as UTC, never as the server's local time.
  const orderDate = new Date(/(?:Z|[+-]\d{2}:?\d{2})$/i.test(input.OrderDate) ? input.OrderDate : `${input.OrderDate}Z`);
  const now = (options.now ?? new Date()).getTime();
  if (orderDate.getTime() < earliestOrderDate) fail('OrderDate', 'must not be before 2000-01-01');
  else if (orderDate.getTime() > now + dayMs) fail('OrderDate', 'must not be more than a day in the future');

  const details = input.Details.map((line, i) => {
    const movie = catalog.movie(line.ProductId);
    if (!movie) fail(`Details.${i}.ProductId`, `there is no movie ${line.ProductId} in the catalog`);
    return { Email: line.Email, ProductId: line.ProductId, Quantity: line.Quantity, UnitPriceCents: toCents(line.UnitPrice), CategoryId: movie?.categoryId ?? 0 };
  });
  const sumCents = details.reduce((sum, line) => sum + line.Quantity * line.UnitPriceCents, 0);
  const totalCents = toCents(input.Total);
  if (Math.abs(sumCents - totalCents) > totalToleranceCents) {
    fail('Total', `must equal the sum of Quantity × UnitPrice over Details (${(sumCents / 100).toFixed(2)})`);
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  // Seed order of fields, money in cents.
  const order: OrderPlacedData = {
    Region: input.Region,
    OrderDate: orderDate.toISOString(),
    FirstName: input.FirstName,
    LastName: input.LastName,
    Address: input.Address,
    City: input.City,
    State: input.State,
    PostalCode: input.PostalCode,
    Country: input.Country,
    Phone: input.Phone,
    ...(input.SMSOptIn !== undefined ? { SMSOptIn: input.SMSOptIn } : {}),
    ...(input.SMSStatus !== undefined ? { SMSStatus: input.SMSStatus } : {}),
    Email: input.Email,
    ...(input.ReceiptUrl !== undefined ? { ReceiptUrl: input.ReceiptUrl } : {}),
    TotalCents: totalCents,
    PaymentTransactionId: input.PaymentTransactionId,
    ...(input.HasBeenShipped !== undefined ? { HasBeenShipped: input.HasBeenShipped } : {}),
    Details: details,
  };
  return { ok: true, order };
}
