import { defineProjection } from '@eventloom/core';
import { Incremented } from './events.ts';

/** View `Counters`: one row per counter (PK `counter`, RK its id). */
export const counters = defineProjection({
  name: 'counters',
  tables: ['Counters'],
  handles: [Incremented.type],
  async apply(entry, { view }) {
    const data = entry.data as { counterId: string; by: number };
    await view('Counters').update('counter', data.counterId, (row) => ({
      partitionKey: 'counter',
      rowKey: data.counterId,
      value: Number(row?.value ?? 0) + data.by,
      updatedAt: entry.occurredAt,
    }));
  },
});
