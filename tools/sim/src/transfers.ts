import { defineProcess, type ProcessCommand, type ProcessDecision, type ProcessInput } from '@eventloom/core';
import type { EventColumns } from '@eventloom/core/testing';
import { z } from 'zod';

/**
 * The simulator's process: money moved from one ledger account to another, with every
 * piece a process has — steps sent with keys (withdraw, deposit, refund), a durable
 * timer between withdrawing and depositing, and compensation. Each step's refusal is
 * stored (`TransferRefused` under the step's key), so every send of a step gets one
 * answer whoever sends it, whenever. Its ops are `{id}:w`, `{id}:d` and `{id}:r`, so the
 * checks can count each step's effects in the store.
 */
export const transferRequest = z
  .object({ transferId: z.string().regex(/^[a-z0-9]{1,40}$/), from: z.string(), to: z.string(), cents: z.number().int().min(1).max(100_000) })
  .strict()
  .refine((request) => request.from !== request.to, { message: 'a transfer goes between two accounts' });

export type TransferRequest = z.infer<typeof transferRequest>;
export type TransferStep = 'withdrawing' | 'settling' | 'depositing' | 'refunding' | 'completed' | 'rejected' | 'compensated' | 'attention';

export interface TransferState {
  step?: TransferStep;
  request?: TransferRequest;
}

/** How long the money waits between its withdrawal and its deposit (a timer the sweep fires after a crash). */
export const settleMs = 300;

const send = (step: string, command: string, input: Record<string, unknown>): ProcessCommand => ({ step, context: 'ledger', aggregate: 'account', command, input });
const stored = (input: ProcessInput<TransferRequest>) => (input.kind === 'answer' && input.outcome === 'accepted' ? input.events.map((e) => e.type) : []);
/** Landed: its event is stored. Anything else (a stored refusal, a plain one) did not move money. */
const landed = (input: ProcessInput<TransferRequest>, type: string) => stored(input).includes(type);

export const transferProcess = defineProcess<TransferState, TransferRequest>({
  name: 'transfer',
  context: 'ledger',
  start: { schema: transferRequest, instance: (request) => request.transferId },
  initialState: () => ({}),
  timers: ['settle'],
  decide(state, input): ProcessDecision<TransferState> {
    if (input.kind === 'start') {
      const request = input.data;
      return { state: { step: 'withdrawing', request }, send: [send('withdraw', 'withdraw', { op: `${request.transferId}:w`, account: request.from, cents: request.cents, transfer: request.transferId })] };
    }
    const request = state.request!;
    if (input.kind === 'answer' && input.step === 'withdraw' && state.step === 'withdrawing') {
      if (!landed(input, 'Withdrawn')) return { state: { ...state, step: 'rejected' }, done: true };
      return { state: { ...state, step: 'settling' }, schedule: [{ timer: 'settle', afterMs: settleMs }] };
    }
    if (input.kind === 'timer' && state.step === 'settling') {
      return { state: { ...state, step: 'depositing' }, send: [send('deposit', 'deposit', { op: `${request.transferId}:d`, account: request.to, cents: request.cents, transfer: request.transferId })] };
    }
    if (input.kind === 'answer' && input.step === 'deposit' && state.step === 'depositing') {
      if (landed(input, 'Deposited')) return { state: { ...state, step: 'completed' }, done: true };
      return { state: { ...state, step: 'refunding' }, send: [send('refund', 'deposit', { op: `${request.transferId}:r`, account: request.from, cents: request.cents, transfer: `${request.transferId}-refund` })] };
    }
    if (input.kind === 'answer' && input.step === 'refund' && state.step === 'refunding') {
      // Refused too (the sender's account closed meanwhile): the money waits for a person.
      return { state: { ...state, step: landed(input, 'Deposited') ? 'compensated' : 'attention' }, done: true };
    }
    return { state };
  },
});

/** What each ending leaves in the store: how many withdrawals, deposits and refunds. */
const effects: Record<string, [number, number, number]> = {
  completed: [1, 1, 0],
  rejected: [0, 0, 0],
  compensated: [1, 0, 1],
  attention: [1, 0, 0],
};

export interface TransferRecord {
  id: string;
  request: TransferRequest;
  /** started: the start was acknowledged; refused: it was refused; unknown: no answer came. */
  outcome: 'started' | 'refused' | 'unknown';
}

/** A transfer's instance as its stream left it (the last step's state), or undefined. */
function lastStep(rows: EventColumns[] | undefined): { step: string; done: boolean } | undefined {
  const last = rows?.[rows.length - 1];
  if (!last) return undefined;
  const data = JSON.parse(last.data ?? '{}') as { state?: TransferState; done?: boolean };
  return { step: data.state?.step ?? 'new', done: data.done === true };
}

/** Transfers whose start was acknowledged and which have not finished yet. */
export function unfinishedTransfers(store: Map<string, EventColumns[]>, transfers: TransferRecord[]): string[] {
  return transfers.filter((t) => t.outcome !== 'refused' && store.has(`transfer-${t.id}`) && !lastStep(store.get(`transfer-${t.id}`))!.done).map((t) => t.id);
}

/**
 * Every transfer moved its money once: each acknowledged one finished, and its ending
 * matches what the store holds — one withdrawal, deposit or refund each at most, exactly
 * as its ending says (so money is conserved: what left one account reached the other or
 * came back). A transfer never acknowledged either never started or did the same.
 */
export function checkTransfers(store: Map<string, EventColumns[]>, transfers: TransferRecord[], endings = new Map<string, number>()): string[] {
  const problems: string[] = [];
  const ops = new Map<string, EventColumns[]>();
  for (const [stream, rows] of store) {
    if (!stream.startsWith('acct-')) continue;
    for (const row of rows) {
      const op = row.data ? (JSON.parse(row.data) as { op?: string }).op : undefined;
      if (op?.includes(':')) ops.set(op, [...(ops.get(op) ?? []), row]);
    }
  }
  for (const transfer of transfers) {
    const count = (suffix: string) => (ops.get(`${transfer.id}:${suffix}`) ?? []).filter((row) => row.type === 'Withdrawn' || row.type === 'Deposited').length;
    const moved: [number, number, number] = [count('w'), count('d'), count('r')];
    const instance = lastStep(store.get(`transfer-${transfer.id}`));
    const what = `transfer ${transfer.id} (${transfer.request.from} → ${transfer.request.to}, ${transfer.request.cents})`;
    if (!instance) {
      if (transfer.outcome === 'started') problems.push(`${what} was acknowledged but has no instance`);
      if (moved.some((n) => n > 0)) problems.push(`${what} has no instance but moved money: ${moved.join('/')}`);
      continue;
    }
    if (transfer.outcome === 'refused') problems.push(`${what} was refused but has an instance`);
    if (!instance.done) {
      problems.push(`${what} did not finish: ${instance.step}`);
      continue;
    }
    endings.set(instance.step, (endings.get(instance.step) ?? 0) + 1);
    const expected = effects[instance.step];
    if (!expected) problems.push(`${what} ended in an unknown step ${instance.step}`);
    else if (moved.join() !== expected.join()) problems.push(`${what} ended ${instance.step} with withdrawals/deposits/refunds ${moved.join('/')} (expected ${expected.join('/')})`);
  }
  return problems;
}
