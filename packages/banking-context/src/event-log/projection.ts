import { defineProjection, type FeedEntry, type ViewRow } from '@eventloom/core';
import { accountEventTypes } from '../account/events.ts';
import { bankById, type BankId } from '../banks.ts';

/**
 * View `EventLog`: every banking event, written under three partitions so each
 * filter the owners use is one partition scan — `all`, `c:{customer}`, `b:{bank}` —
 * plus a point-lookup row by event id. Row keys start with the inverted time, so a
 * partition reads newest first and a time range is a row-key range.
 */
export const eventLogTable = 'EventLog';

export const logPartitions = {
  all: 'all',
  customer: (customer: string) => `c:${customer}`,
  bank: (bank: BankId) => `b:${bank}`,
  /** Holds one row per event, RK = event id, for `/events/{eventId}`. */
  byId: 'id',
} as const;

const maxMs = 9_999_999_999_999;
const maxSeq = 999_999_999_999;

/** Inverted epoch ms, 13 digits: later instants sort first. */
export const invertedTime = (ms: number) => String(maxMs - ms).padStart(13, '0');

/** Newest first; events of the same millisecond by descending feed seq. */
export const logRowKey = (occurredAt: string, seq: number) => `${invertedTime(Date.parse(occurredAt))}-${String(maxSeq - seq).padStart(12, '0')}`;

export interface LogRow extends ViewRow {
  eventId: string;
  type: string;
  customer: string;
  bank: BankId;
  bankName: string;
  amountCents: number;
  balanceAfterCents?: number;
  memo?: string;
  transferId?: string;
  who: string;
  occurredAt: string;
  stream: string;
  version: number;
  seq: number;
}

interface LoggedData {
  customer: string;
  bank: BankId;
  amountCents?: number;
  balanceAfterCents?: number;
  memo?: string;
  transferId?: string;
}

export const eventLog = defineProjection({
  name: 'eventLog',
  tables: [eventLogTable],
  handles: [...accountEventTypes],
  async apply(entry, { view }) {
    const row = logRow(entry);
    const log = view(eventLogTable);
    for (const partitionKey of [logPartitions.all, logPartitions.customer(row.customer), logPartitions.bank(row.bank)]) {
      log.put({ ...row, partitionKey, rowKey: row.rowKey });
    }
    log.put({ ...row, partitionKey: logPartitions.byId, rowKey: entry.id });
  },
});

function logRow(entry: FeedEntry): LogRow {
  const data = entry.data as LoggedData;
  return {
    partitionKey: logPartitions.all,
    rowKey: logRowKey(entry.occurredAt, entry.seq),
    eventId: entry.id,
    type: entry.type,
    customer: data.customer,
    bank: data.bank,
    bankName: bankById(data.bank).name,
    amountCents: data.amountCents ?? 0,
    ...(data.balanceAfterCents !== undefined ? { balanceAfterCents: data.balanceAfterCents } : {}),
    ...(data.memo ? { memo: data.memo } : {}),
    ...(data.transferId ? { transferId: data.transferId } : {}),
    who: entry.who,
    occurredAt: entry.occurredAt,
    stream: entry.stream,
    version: entry.version,
    seq: entry.seq,
  };
}
