import { defineProjection, type ViewRow } from '@eventloom/core';
import { OrderPlaced, type OrderPlacedData } from '@eventloom/orders-context/contracts';
import { count } from '../numbers.ts';
import { dayKey, hourKey, instantOf } from '../time.ts';

/** Partitions of `OrderWindows`: one row per hour, one per day. */
export const hourPartition = 'hour';
export const dayPartition = 'day';

/**
 * View `OrderWindows`: tumbling windows over the orders feed by *order* time
 * (`OrderDate`), not arrival: a late order lands in the hour it was placed, however
 * long after that it arrives. Rows: PK `hour`, RK `2026-03-01T14`; PK `day`, RK
 * `2026-03-01`; columns `orders`, `revenueCents` (the orders' totals) and
 * `quantity` (items). Each row is its old value plus the event, nothing else.
 */
export const orderWindows = defineProjection({
  name: 'orderWindows',
  source: 'orders',
  tables: ['OrderWindows'],
  handles: [OrderPlaced.type],
  async apply(entry, { view }) {
    const order = entry.data as OrderPlacedData;
    const placedAt = instantOf(order.OrderDate);
    const quantity = order.Details.reduce((sum, line) => sum + line.Quantity, 0);
    const add = (partitionKey: string, rowKey: string) => (row: ViewRow | undefined): ViewRow => ({
      partitionKey,
      rowKey,
      orders: count(row, 'orders') + 1,
      revenueCents: count(row, 'revenueCents') + order.TotalCents,
      quantity: count(row, 'quantity') + quantity,
    });
    const windows = view('OrderWindows');
    await windows.update(hourPartition, hourKey(placedAt), add(hourPartition, hourKey(placedAt)));
    await windows.update(dayPartition, dayKey(placedAt), add(dayPartition, dayKey(placedAt)));
  },
});
