import { fnv1a } from '../random.ts';

/**
 * Orders are stored in a few partitions chosen by a hash of PaymentTransactionId
 * alone: the same key always lands in the same partition (that is what makes a
 * re-sent order a duplicate rather than a second order), and a batch of orders
 * spreads over few partitions, so each entity-group transaction carries many.
 * Time-based partitions would split a batch of orders dated over weeks into one
 * transaction per order; time is the reports' business, read from the feed.
 */
export const orderPartitions = 8;

export function orderPartition(paymentTransactionId: string): string {
  return `orders-${String(fnv1a(paymentTransactionId) % orderPartitions).padStart(2, '0')}`;
}
