import { projection } from '@eventloom/core/testing';
import { describe, expect, it } from 'vitest';
import { feedOf, orderPlaced } from '../testing.ts';
import { orderWindows } from './projection.ts';

const rows = (view: Awaited<ReturnType<ReturnType<typeof projection>['given']>>, partition: string) =>
  view.rows('OrderWindows').filter((r) => r.partitionKey === partition).map((r) => [r.rowKey, r.orders, r.revenueCents, r.quantity]);

describe('orders per hour and per day', () => {
  it('counts orders and revenue in the hour each was placed', async () => {
    const view = await projection(orderWindows).given(
      feedOf([
        orderPlaced('2026-03-01T10:05:00Z', [[1, 2, 500, 1]]),
        orderPlaced('2026-03-01T10:59:59Z', [[2, 1, 1999, 1]]),
        orderPlaced('2026-03-01T11:00:00Z', [[1, 1, 500, 1], [3, 3, 100, 2]]),
      ]),
    );
    expect(rows(view, 'hour')).toEqual([
      ['2026-03-01T10', 2, 2999, 3],
      ['2026-03-01T11', 1, 800, 4],
    ]);
  });

  it('puts a late order in the hour it was placed, not the hour it arrived', async () => {
    const view = await projection(orderWindows).given(
      feedOf([
        [orderPlaced('2026-03-01T14:10:00Z', [[1, 1, 700, 1]]), { at: '2026-03-01T14:10:01Z' }],
        // Arrives at 15:30, placed at 12:45.
        [orderPlaced('2026-03-01T12:45:00Z', [[1, 1, 700, 1]]), { at: '2026-03-01T15:30:00Z' }],
      ]),
    );
    expect(rows(view, 'hour')).toEqual([
      ['2026-03-01T12', 1, 700, 1],
      ['2026-03-01T14', 1, 700, 1],
    ]);
  });

  it('sums each UTC day across its hours', async () => {
    const view = await projection(orderWindows).given(
      feedOf([
        orderPlaced('2026-03-01T00:00:00Z', [[1, 1, 100, 1]]),
        orderPlaced('2026-03-01T23:59:59.999Z', [[1, 1, 200, 1]]),
        orderPlaced('2026-03-02T00:00:00Z', [[1, 1, 400, 1]]),
      ]),
    );
    expect(rows(view, 'day')).toEqual([
      ['2026-03-01', 2, 300, 2],
      ['2026-03-02', 1, 400, 1],
    ]);
  });

  it('counts nothing twice when a batch is replayed', async () => {
    const events = feedOf([orderPlaced('2026-03-01T10:00:00Z', [[1, 1, 100, 1]]), orderPlaced('2026-03-01T10:30:00Z', [[1, 2, 100, 1]])]);
    const view = projection(orderWindows);
    await view.given(events);
    await view.given(events);
    expect(rows(view as never, 'hour')).toEqual([['2026-03-01T10', 2, 300, 3]]);
  });
});
