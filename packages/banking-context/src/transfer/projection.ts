import { defineProjection, processStepped, type ViewRow } from '@eventloom/core';
import type { BankId } from '../banks.ts';
import { invertedTime } from '../event-log/projection.ts';
import type { TransferState } from './process.ts';

/**
 * View `Transfers`: each transfer's latest step, listed newest first under the partitions
 * its readers ask for — `all` (admins), `b:{bank}` and `bc:{bank}:{customer}` for both of
 * its banks (owners see their bank's), `c:{customer}` for both of its customers (admins).
 * Every row is the transfer's state as its latest `ProcessStepped` left it: a row is
 * written only by its transfer's stream (one instance, one stream).
 */
export const transfersTable = 'Transfers';

export const transferPartitions = {
  all: 'all',
  bank: (bank: BankId) => `b:${bank}`,
  bankCustomer: (bank: BankId, customer: string) => `bc:${bank}:${customer}`,
  customer: (customer: string) => `c:${customer}`,
} as const;

/** The transfer process's instance streams (`{process}-{instance}`). */
const transferStream = /^transfer-/;

export interface TransferRow extends ViewRow {
  transferId: string;
  step: TransferState['step'];
  done: boolean;
  reason?: string;
  detail?: string;
  fromCustomer: string;
  fromBank: BankId;
  toCustomer: string;
  toBank: BankId;
  amountCents: number;
  requestedBy: string;
  startedAt: string;
  updatedAt: string;
  correlationId: string;
}

/** Newest first by start; a transfer's row key never changes as it moves on. */
export const transferRowKey = (startedAt: string, transferId: string) => `${invertedTime(Date.parse(startedAt))}-${transferId}`;

export const transfers = defineProjection({
  name: 'transfers',
  tables: [transfersTable],
  handles: [processStepped],
  async apply(entry, { view }) {
    if (!transferStream.test(entry.stream)) return;
    const { state, done } = entry.data as { state: TransferState; done: boolean };
    const request = state.request;
    if (!request) return;
    // Started before `startedAt` was kept: sorted last.
    const startedAt = state.startedAt ?? new Date(0).toISOString();
    const rowKey = transferRowKey(startedAt, request.transferId);
    const row: Omit<TransferRow, 'partitionKey' | 'rowKey'> = {
      transferId: request.transferId,
      step: state.step,
      done,
      ...(state.reason ? { reason: state.reason } : {}),
      ...(state.detail ? { detail: state.detail } : {}),
      fromCustomer: request.from.customer,
      fromBank: request.from.bank,
      toCustomer: request.to.customer,
      toBank: request.to.bank,
      amountCents: request.amountCents,
      requestedBy: request.requestedBy,
      startedAt,
      updatedAt: entry.occurredAt,
      correlationId: entry.correlationId,
    };
    const partitions = new Set([
      transferPartitions.all,
      ...[request.from, request.to].flatMap((side) => [transferPartitions.bank(side.bank), transferPartitions.bankCustomer(side.bank, side.customer), transferPartitions.customer(side.customer)]),
    ]);
    const table = view(transfersTable);
    for (const partitionKey of partitions) await table.update(partitionKey, rowKey, () => ({ ...row, partitionKey, rowKey }));
  },
});
