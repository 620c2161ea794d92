import type { EventColumns } from '@eventloom/core/testing';
import { processFlow, accepted, advance, started } from '@eventloom/core/testing';
import { describe, expect, it } from 'vitest';
import { checkTransfers, settleMs, transferProcess, unfinishedTransfers, type TransferRecord } from './transfers.ts';

const request = { transferId: 't1', from: 'a1', to: 'a2', cents: 50 };
const record: TransferRecord = { id: 't1', request, outcome: 'started' };

let version = 0;
const event = (stream: string, type: string, data: unknown): EventColumns => ({ id: `e${++version}`, type, sv: 1, s: stream, v: version, at: '', who: '', cor: '', cau: '', data: JSON.stringify(data) }) as EventColumns;
const moved = (type: 'Withdrawn' | 'Deposited', account: string, op: string) => event(`acct-${account}`, type, { op, account, cents: 50 });
const stepped = (step: string, done: boolean) => event('transfer-t1', 'ProcessStepped', { state: { step, request }, done });

/** The store after a transfer that ended `step`, with the given effects. */
function storeOf(step: string, done: boolean, effects: EventColumns[]): Map<string, EventColumns[]> {
  const store = new Map<string, EventColumns[]>([['transfer-t1', [stepped('withdrawing', false), stepped(step, done)]]]);
  for (const row of effects) store.set(row.s, [...(store.get(row.s) ?? []), row]);
  return store;
}

describe("the simulator's transfer checks", () => {
  it('find nothing wrong in a completed, a compensated and a rejected transfer', () => {
    expect(checkTransfers(storeOf('completed', true, [moved('Withdrawn', 'a1', 't1:w'), moved('Deposited', 'a2', 't1:d')]), [record])).toEqual([]);
    expect(checkTransfers(storeOf('compensated', true, [moved('Withdrawn', 'a1', 't1:w'), moved('Deposited', 'a1', 't1:r')]), [record])).toEqual([]);
    expect(checkTransfers(storeOf('rejected', true, []), [record])).toEqual([]);
  });

  it('report a doubled withdrawal, a deposit beside a refund, and a transfer that did not finish', () => {
    const doubled = storeOf('completed', true, [moved('Withdrawn', 'a1', 't1:w'), moved('Withdrawn', 'a1', 't1:w'), moved('Deposited', 'a2', 't1:d')]);
    expect(checkTransfers(doubled, [record])).toEqual(['transfer t1 (a1 → a2, 50) ended completed with withdrawals/deposits/refunds 2/1/0 (expected 1/1/0)']);
    const both = storeOf('compensated', true, [moved('Withdrawn', 'a1', 't1:w'), moved('Deposited', 'a2', 't1:d'), moved('Deposited', 'a1', 't1:r')]);
    expect(checkTransfers(both, [record])).toEqual(['transfer t1 (a1 → a2, 50) ended compensated with withdrawals/deposits/refunds 1/1/1 (expected 1/0/1)']);
    const stuck = storeOf('settling', false, [moved('Withdrawn', 'a1', 't1:w')]);
    expect(checkTransfers(stuck, [record])).toEqual(['transfer t1 (a1 → a2, 50) did not finish: settling']);
    expect(unfinishedTransfers(stuck, [record])).toEqual(['t1']);
  });

  it('report an acknowledged transfer with no instance, and money moved by one that never started', () => {
    expect(checkTransfers(new Map(), [record])).toEqual(['transfer t1 (a1 → a2, 50) was acknowledged but has no instance']);
    const orphan = new Map([['acct-a1', [moved('Withdrawn', 'a1', 't1:w')]]]);
    expect(checkTransfers(orphan, [{ ...record, outcome: 'unknown' }])).toEqual(['transfer t1 (a1 → a2, 50) has no instance but moved money: 1/0/0']);
  });

  it('waits for its timer between the withdrawal and the deposit, and refunds a refused deposit', () => {
    const flow = processFlow(transferProcess).given([started(request), accepted('withdraw', [{ type: 'Withdrawn', data: {} }])]);
    flow.when(advance(settleMs)).then({ send: [{ step: 'deposit', context: 'ledger', aggregate: 'account', command: 'deposit', input: { op: 't1:d', account: 'a2', cents: 50, transfer: 't1' } }] });
    flow
      .when(accepted('deposit', [{ type: 'TransferRefused', data: { code: 'closed' } }]))
      .then({ send: [{ step: 'refund', context: 'ledger', aggregate: 'account', command: 'deposit', input: { op: 't1:r', account: 'a1', cents: 50, transfer: 't1-refund' } }], state: { step: 'refunding' } });
  });
});
