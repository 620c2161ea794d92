import { defineProjection } from '@eventloom/core';
import { AlertDecided, type AlertDecidedData } from './events.ts';

export const decisionPartition = 'decision';

/** View `AlertDecisions` (PK `decision`, RK the alert id): who decided what, when, and why. */
export const alertDecisions = defineProjection({
  name: 'alertDecisions',
  tables: ['AlertDecisions'],
  handles: [AlertDecided.type],
  async apply(entry, { view }) {
    const { alertId, decision, note } = entry.data as AlertDecidedData;
    view('AlertDecisions').put({ partitionKey: decisionPartition, rowKey: alertId, decision, note, decidedBy: entry.who, decidedAt: entry.occurredAt });
  },
});
