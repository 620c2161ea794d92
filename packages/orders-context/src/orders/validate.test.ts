import { describe, expect, it } from 'vitest';
import { generateCatalog } from '../catalog/generate.ts';
import { seededRandom } from '../random.ts';
import { orderPartition, orderPartitions } from './partition.ts';
import { sampleOrder, sampleOrders } from './sample.ts';
import { catalogOf, validateOrder } from './validate.ts';

const catalog = generateCatalog();
const movies = catalogOf(catalog.movies);
const now = new Date('2026-03-01T12:00:00Z');

/** The seed's example shape: every field, two lines. */
function order(overrides: Record<string, unknown> = {}) {
  return {
    Region: 'Southeast',
    OrderDate: '2026-03-01T10:15:00Z',
    FirstName: 'Ava',
    LastName: 'Patel',
    Address: '12 Maple St',
    City: 'Atlanta',
    State: 'GA',
    PostalCode: '30301',
    Country: 'United States',
    Phone: '555-123-4567',
    SMSOptIn: true,
    SMSStatus: 'Subscribed',
    Email: 'ava.patel@example.com',
    ReceiptUrl: 'https://receipts.example.com/r1',
    Total: 34.97,
    PaymentTransactionId: 'txn-0001',
    HasBeenShipped: false,
    Details: [
      { Email: 'ava.patel@example.com', ProductId: 1, Quantity: 2, UnitPrice: 9.99 },
      { Email: 'ava.patel@example.com', ProductId: 2, Quantity: 1, UnitPrice: 14.99 },
    ],
    ...overrides,
  };
}

const errorsOf = (json: unknown) => {
  const result = validateOrder(json, movies, { now });
  if (result.ok) throw new Error('expected the order to be refused');
  return result.errors;
};

describe('validateOrder', () => {
  it('accepts an order in the seed shape and stores money in cents', () => {
    const result = validateOrder(order(), movies, { now });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.order.TotalCents).toBe(3497);
    expect(result.order.Details.map((d) => [d.ProductId, d.Quantity, d.UnitPriceCents, d.CategoryId])).toEqual([
      [1, 2, 999, catalog.movies[0]!.categoryId],
      [2, 1, 1499, catalog.movies[1]!.categoryId],
    ]);
    expect(result.order).not.toHaveProperty('Total');
    expect(result.order.OrderDate).toBe('2026-03-01T10:15:00.000Z');
  });

  it('accepts an order without the optional fields', () => {
    const { SMSOptIn: _a, SMSStatus: _b, ReceiptUrl: _c, HasBeenShipped: _d, ...required } = order();
    const result = validateOrder(required, movies, { now });
    expect(result.ok).toBe(true);
    if (result.ok) expect(Object.keys(result.order)).not.toContain('SMSOptIn');
  });

  it('names the field of a bad quantity', () => {
    const details = order().Details;
    expect(errorsOf(order({ Details: [{ ...details[0]!, Quantity: 0 }] }))).toHaveProperty(['Details.0.Quantity']);
    expect(errorsOf(order({ Details: [details[0], { ...details[1]!, Quantity: 1.5 }] }))).toHaveProperty(['Details.1.Quantity']);
  });

  it('refuses money with more than two decimals', () => {
    expect(errorsOf(order({ Total: 34.971 }))).toHaveProperty(['Total']);
    const details = order().Details;
    expect(errorsOf(order({ Details: [{ ...details[0]!, UnitPrice: 9.999 }, details[1]] }))).toHaveProperty(['Details.0.UnitPrice']);
  });

  it('refuses a movie that is not in the catalog', () => {
    const details = order().Details;
    const errors = errorsOf(order({ Details: [details[0], { ...details[1]!, ProductId: 999_999 }], Total: 19.98 + 9_999 }));
    expect(errors['Details.1.ProductId']?.[0]).toMatch(/no movie 999999/);
  });

  it('refuses a total that is not the sum of the lines, within a cent', () => {
    expect(errorsOf(order({ Total: 30 }))['Total']?.[0]).toMatch(/34\.97/);
    expect(validateOrder(order({ Total: 34.98 }), movies, { now }).ok).toBe(true);
    expect(validateOrder(order({ Total: 34.99 }), movies, { now }).ok).toBe(false);
  });

  it('refuses empty and missing strings, bad emails and unknown fields', () => {
    const { Region: _r, ...noRegion } = order();
    expect(errorsOf(noRegion)).toHaveProperty(['Region']);
    expect(errorsOf(order({ City: '  ' }))).toHaveProperty(['City']);
    expect(errorsOf(order({ Email: 'not-an-email' }))).toHaveProperty(['Email']);
    expect(errorsOf(order({ Shipping: 'fast' }))).toHaveProperty(['Shipping']);
    expect(errorsOf(order({ Details: [] }))).toHaveProperty(['Details']);
    expect(errorsOf(order({ PaymentTransactionId: 'a/b' }))).toHaveProperty(['PaymentTransactionId']);
  });

  it('reads a date without an offset as UTC and refuses dates far ahead or before 2000', () => {
    const local = validateOrder(order({ OrderDate: '2026-03-01T10:15:00.1234567' }), movies, { now });
    expect(local.ok && local.order.OrderDate).toBe('2026-03-01T10:15:00.123Z');
    expect(errorsOf(order({ OrderDate: '2026-03-03T12:00:00Z' }))).toHaveProperty(['OrderDate']);
    expect(errorsOf(order({ OrderDate: '1999-12-31T23:59:59Z' }))).toHaveProperty(['OrderDate']);
    expect(errorsOf(order({ OrderDate: 'yesterday' }))).toHaveProperty(['OrderDate']);
  });

  it('refuses what is not an order at all', () => {
    expect(errorsOf(null)).toHaveProperty(['(body)']);
    expect(errorsOf([order()])).toHaveProperty(['(body)']);
  });
});

describe('sample orders', () => {
  it('are valid for the catalog they were made from and the same for the same seed', () => {
    const take = (seed: number) => {
      const orders = sampleOrders({ seed, movies: catalog.movies, from: new Date('2026-01-01T00:00:00Z'), to: now });
      return Array.from({ length: 200 }, () => orders.next().value!);
    };
    const first = take(7);
    for (const o of first) expect(validateOrder(o, movies, { now })).toMatchObject({ ok: true });
    expect(take(7)).toEqual(first);
    expect(take(8)[0]!.PaymentTransactionId).not.toBe(first[0]!.PaymentTransactionId);
    expect(new Set(first.map((o) => o.PaymentTransactionId)).size).toBe(200);
  });

  it('sells some movies far more than others', () => {
    const random = seededRandom(1);
    const counts = new Map<number, number>();
    for (let i = 0; i < 2000; i++) for (const d of sampleOrder(random, catalog.movies, now).Details) counts.set(d.ProductId, (counts.get(d.ProductId) ?? 0) + d.Quantity);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    expect(sorted[0]!).toBeGreaterThan(5 * sorted[Math.floor(sorted.length / 2)]!);
  });
});

describe('orderPartition', () => {
  it('maps a key to the same partition every time and spreads keys over all partitions', () => {
    expect(orderPartition('txn-1')).toBe(orderPartition('txn-1'));
    const used = new Set(Array.from({ length: 500 }, (_, i) => orderPartition(`txn-${i}`)));
    expect(used.size).toBe(orderPartitions);
  });
});
