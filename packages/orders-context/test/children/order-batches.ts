/**
 * The orders the ingest kill test sends, shared by the test and its child: the same
 * seed gives the same batches (and PaymentTransactionIds) in both processes.
 */
import type { IngestItem } from '@eventloom/core';
import { orderPartition } from '../../src/orders/partition.ts';
import { OrderPlaced } from '../../src/orders/events.ts';
import { validateOrder } from '../../src/orders/validate.ts';
import { demoCatalog, demoMovies, sampleOrders } from '../../src/testing.ts';

export interface BatchOptions {
  seed: number;
  batches: number;
  size: number;
}

/** `batches` batches of `size` valid orders as IngestItems, as the orders routes build them. */
export function orderBatches({ seed, batches, size }: BatchOptions): IngestItem[][] {
  const orders = sampleOrders({ seed, movies: demoCatalog.movies, from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-03-01T00:00:00Z') });
  return Array.from({ length: batches }, () =>
    Array.from({ length: size }, () => {
      const result = validateOrder(orders.next().value, demoMovies);
      if (!result.ok) throw new Error(`a sample order is invalid: ${JSON.stringify(result.errors)}`);
      return { key: result.order.PaymentTransactionId, partition: orderPartition(result.order.PaymentTransactionId), event: OrderPlaced(result.order) };
    }),
  );
}
