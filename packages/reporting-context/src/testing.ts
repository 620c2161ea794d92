import type { FeedEntry, NewEvent, Principal } from '@eventloom/core';
import { OrderPlaced } from '@eventloom/orders-context/contracts';
import { AlertDecided, type Decision } from './alerts/events.ts';

/** Who calls, in tests. */
export const principals = {
  admin: { sub: 'admin', role: 'admin' },
  republicOwner: { sub: 'owner.republic', role: 'owner', bank: 'Republic Bank' },
  consumer: { sub: 'consumer.demo', role: 'consumer', contexts: ['*'] },
} satisfies Record<string, Principal>;

export interface At {
  /** When it happened (default: a fixed instant, one second apart per entry). */
  at?: string;
  stream?: string;
  id?: string;
}

/**
 * Feed entries as another context's feed would carry them, with times of your
 * choosing: `feedOf([[withdrawn(...), { at: '…T10:00Z' }], [deposited(...), { at: '…T10:05Z' }]])`.
 */
export function feedOf(events: (NewEvent | [NewEvent, At])[], start = '2026-03-01T00:00:00.000Z'): FeedEntry[] {
  return events.map((item, i) => {
    const [event, at] = Array.isArray(item) ? item : [item, {}];
    return {
      id: at.id ?? `00000000-0000-7000-8000-${String(i + 1).padStart(12, '0')}`,
      type: event.type,
      schemaVersion: event.schemaVersion ?? 1,
      stream: at.stream ?? 'test-stream',
      version: i + 1,
      seq: i + 1,
      occurredAt: at.at ?? new Date(Date.parse(start) + i * 1000).toISOString(),
      who: 'test',
      correlationId: 'test',
      causationId: 'test',
      data: event.data,
    };
  });
}

/** A decision event, for tests of code that consumes reporting. */
export const alertDecided = (alertId: string, decision: Decision, note = 'checked') => AlertDecided({ alertId, decision, note });

/** One order line: movie, quantity, unit price in cents, the movie's category. */
export type Line = [productId: number, quantity: number, unitPriceCents: number, categoryId: number];

let orderNumber = 0;

/** An OrderPlaced event (seed 004 shape, as the orders contract carries it) placed at `orderDate`. */
export function orderPlaced(orderDate: string, lines: Line[], id = `order-${++orderNumber}`) {
  const email = 'ada@example.com';
  return OrderPlaced({
    Region: 'West',
    OrderDate: new Date(orderDate).toISOString(),
    FirstName: 'Ada',
    LastName: 'Lovelace',
    Address: '1 Analytical Way',
    City: 'Seattle',
    State: 'WA',
    PostalCode: '98101',
    Country: 'United States',
    Phone: '555-100-2000',
    Email: email,
    TotalCents: lines.reduce((sum, [, quantity, price]) => sum + quantity * price, 0),
    PaymentTransactionId: id,
    Details: lines.map(([ProductId, Quantity, UnitPriceCents, CategoryId]) => ({ Email: email, ProductId, Quantity, UnitPriceCents, CategoryId })),
  });
}
