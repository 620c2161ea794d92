import { defineProcess, type ProcessCommand, type ProcessDecision, type ProcessInput } from '@eventloom/core';
import { z } from 'zod';
import { bankId } from '../banks.ts';
import { amountCents, customerId } from '../account/fields.ts';

/**
 * A cross-bank transfer (issue 13), orchestrated: withdraw at A → deposit at B →
 * completed; B refuses or is silent past the deadline → refund at A → compensated;
 * A refuses → rejected, nothing moved. The decisions only; the account commands they send
 * (`withdrawForTransfer`, `depositForTransfer`, `expireTransferDeposit`, `refundTransfer`)
 * record their refusals as `TransferRefused` events under the step's key, so that every
 * send of a step gets the same answer (docs/design/process-managers.md: "a refusal must be
 * as durable as a success"). Not wired to the runtime yet.
 */

const account = z.object({ customer: customerId, bank: bankId });

export const transferRequest = z
  .object({
    transferId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'transferId must be 1-64 letters, digits, _ or -'),
    from: account,
    to: account,
    amountCents,
    /** Who asked for it (the owner of the bank of `from`); the route sets it from the caller. */
    requestedBy: z.string().min(1).max(128),
  })
  .strict()
  .refine((request) => request.from.bank !== request.to.bank, { message: 'a transfer goes between two banks', path: ['to', 'bank'] });

export type TransferRequest = z.infer<typeof transferRequest>;

export type TransferStep = 'new' | 'withdrawing' | 'depositing' | 'expiring' | 'refunding' | 'completed' | 'compensated' | 'rejected' | 'attention';

export interface TransferState {
  step: TransferStep;
  request?: TransferRequest;
  /** Why it did not complete: a refusal code, or `timeout`. */
  reason?: string;
  detail?: string;
}

/** Events an account command for a transfer may store, as the process reads them. */
const withdrawn = 'Withdrawn';
const deposited = 'Deposited';
const transferRefused = 'TransferRefused';
const depositExpired = 'TransferDepositExpired';

export interface TransferOptions {
  /** How long B has to take the deposit (its `notAfter`), default 30 s. */
  depositTimeoutMs?: number;
  /** Added to the timeout before the process looks: B's clock may run behind the process's. */
  graceMs?: number;
}

export function transferProcess(options: TransferOptions = {}) {
  const timeoutMs = options.depositTimeoutMs ?? 30_000;
  const graceMs = options.graceMs ?? 2_000;
  const send = (step: string, command: string, input: Record<string, unknown>): ProcessCommand => ({ step, context: 'banking', aggregate: 'account', command, input });

  const refund = (state: TransferState, reason: string, detail?: string): ProcessDecision<TransferState> => {
    const { transferId, from, amountCents } = state.request!;
    return {
      state: { ...state, step: 'refunding', reason, ...(detail ? { detail } : {}) },
      send: [send('refund', 'refundTransfer', { ...from, amountCents, transferId })],
      cancel: ['depositTimeout'],
    };
  };

  return defineProcess<TransferState, TransferRequest>({
    name: 'transfer',
    context: 'banking',
    start: { schema: transferRequest, instance: (request) => request.transferId },
    initialState: () => ({ step: 'new' }),
    timers: ['depositTimeout'],
    decide: (state, input, { now }): ProcessDecision<TransferState> => {
      if (input.kind === 'start') {
        const { transferId, from, amountCents } = input.data;
        return { state: { step: 'withdrawing', request: input.data }, send: [send('withdraw', 'withdrawForTransfer', { ...from, amountCents, transferId })] };
      }
      const request = state.request!;
      const stored = (answer: ProcessInput<TransferRequest>) => (answer.kind === 'answer' && answer.outcome === 'accepted' ? answer.events.map((e) => e.type) : []);
      const refusal = (answer: ProcessInput<TransferRequest>): { code: string; detail: string } | undefined => {
        if (answer.kind !== 'answer') return undefined;
        if (answer.outcome === 'refused') return { code: answer.code, detail: answer.detail };
        const event = answer.events.find((e) => e.type === transferRefused);
        return event && (event.data as { code: string; detail: string });
      };

      if (input.kind === 'answer' && input.step === 'withdraw' && state.step === 'withdrawing') {
        const refused = refusal(input);
        if (refused) return { state: { ...state, step: 'rejected', reason: refused.code, detail: refused.detail }, done: true };
        if (!stored(input).includes(withdrawn)) return { state: { ...state, step: 'attention', reason: 'unexpected-answer' }, done: true };
        const notAfter = new Date(now.getTime() + timeoutMs).toISOString();
        return {
          state: { ...state, step: 'depositing' },
          send: [send('deposit', 'depositForTransfer', { ...request.to, amountCents: request.amountCents, transferId: request.transferId, notAfter })],
          schedule: [{ timer: 'depositTimeout', afterMs: timeoutMs + graceMs }],
        };
      }

      if (input.kind === 'answer' && input.step === 'deposit' && (state.step === 'depositing' || state.step === 'expiring')) {
        const refused = refusal(input);
        // A stored refusal is final for this deposit (every send of the step gets it): refund.
        if (refused) return refund(state, refused.code, refused.detail);
        if (!stored(input).includes(deposited)) return { state: { ...state, step: 'attention', reason: 'unexpected-answer' }, done: true };
        return { state: { ...state, step: 'completed' }, cancel: ['depositTimeout'], done: true };
      }

      if (input.kind === 'timer' && state.step === 'depositing') {
        // Silent past the deadline: fence the deposit before refunding, or a late one doubles the money.
        return { state: { ...state, step: 'expiring', reason: 'timeout' }, send: [send('expire', 'expireTransferDeposit', { ...request.to, transferId: request.transferId })] };
      }

      if (input.kind === 'answer' && input.step === 'expire' && state.step === 'expiring') {
        const refused = refusal(input);
        if (refused?.code === 'deposit-landed') return { state: { step: 'completed', request }, done: true };
        if (refused) return { state: { ...state, step: 'attention', reason: refused.code, detail: refused.detail }, done: true };
        if (!stored(input).includes(depositExpired)) return { state: { ...state, step: 'attention', reason: 'unexpected-answer' }, done: true };
        return refund(state, 'timeout', `the deposit at ${request.to.bank} was not taken in ${timeoutMs / 1000} s`);
      }

      if (input.kind === 'answer' && input.step === 'refund' && state.step === 'refunding') {
        const refused = refusal(input);
        if (refused) return { state: { ...state, step: 'attention', reason: refused.code, detail: `the refund was refused: ${refused.detail}` }, done: true };
        return { state: { ...state, step: 'compensated' }, done: true };
      }
      // Anything else (an answer the state has moved past): recorded, nothing more to do.
      return { state };
    },
  });
}
