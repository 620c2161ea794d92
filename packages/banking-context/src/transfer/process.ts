import { defineProcess, type ProcessCommand, type ProcessDecision, type ProcessInput } from '@eventloom/core';
import { z } from 'zod';
import { bankId } from '../banks.ts';
import { amountCents, customerId } from '../account/fields.ts';
import { TransferCompensated, TransferCompleted, TransferNeedsAttention, TransferRejected, TransferStarted } from './events.ts';

/**
 * A cross-bank transfer (issue 13), orchestrated: withdraw at A → deposit at B (with the
 * transfer's id and deadline) → completed; B refuses or is silent past the deadline →
 * expire the transfer's deposit at B (after which it can never land) → refund at A →
 * compensated; A refuses → rejected, nothing moved. A refusal writes nothing, so a second
 * send of the same step may be decided otherwise later: that is why a refused or silent
 * deposit is fenced by the expiry before anything is refunded (an expiry refused with
 * `deposit-landed` means the transfer completed). The withdrawal names its transfer, so
 * A stores its refusal (`TransferWithdrawalRefused`) under the step's key: a second send
 * of the step gets the same answer and cannot land once funds arrive after the transfer
 * was rejected (docs/design/process-managers.md, "a refusal must be as durable as a success").
 */

const account = z.object({ customer: customerId, bank: bankId });

export const transferRequest = z
  .object({
    // 56, not 64: the refund's transfer id is this one plus `-refund`.
    transferId: z.string().regex(/^[A-Za-z0-9_-]{1,56}$/, 'transferId must be 1-56 letters, digits, _ or -'),
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
  /** When it started, by the process's clock (lists sort by it). */
  startedAt?: string;
}

/** The events a transfer's withdrawal stores: the money out, or its refusal. */
const withdrawn = 'Withdrawn';
const withdrawalRefused = 'TransferWithdrawalRefused';
/** How long a refund may take to land (it is a transfer deposit at A: a repeat lands once). */
const refundWindowMs = 60 * 60 * 1000;

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

  /** The transfer's end: its state, and the published event that says so. */
  const end = (state: TransferState, step: 'completed' | 'compensated' | 'rejected' | 'attention', reason?: string, detail?: string): ProcessDecision<TransferState> => {
    const { transferId, from, to, amountCents } = state.request!;
    const facts = { transferId, from, to, amountCents };
    const why = reason ?? state.reason ?? 'unknown';
    const emit =
      step === 'completed' ? TransferCompleted(facts) : step === 'compensated' ? TransferCompensated({ ...facts, reason: why }) : step === 'rejected' ? TransferRejected({ ...facts, reason: why }) : TransferNeedsAttention({ ...facts, reason: why });
    return { state: { ...state, step, ...(reason ? { reason } : {}), ...(detail ? { detail } : {}) }, done: true, emit: [emit] };
  };

  const refund = (state: TransferState, now: Date): ProcessDecision<TransferState> => {
    const { transferId, from, to, amountCents } = state.request!;
    const transfer = { id: `${transferId}-refund`, notAfter: new Date(now.getTime() + refundWindowMs).toISOString() };
    return {
      state: { ...state, step: 'refunding' },
      send: [send('refund', 'deposit', { ...from, amountCents, memo: `refund of transfer ${transferId} to ${to.bank}`, transfer })],
    };
  };
  const expire = (state: TransferState, reason: string, detail?: string): ProcessDecision<TransferState> => {
    const { transferId, to } = state.request!;
    return {
      state: { ...state, step: 'expiring', reason, ...(detail ? { detail } : {}) },
      send: [send('expire', 'expireTransferDeposit', { ...to, transferId })],
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
        const { transferId, from, to, amountCents } = input.data;
        return {
          state: { step: 'withdrawing', request: input.data, startedAt: now.toISOString() },
          send: [send('withdraw', 'withdraw', { ...from, amountCents, memo: `transfer ${transferId} to ${to.bank}`, transfer: { id: transferId } })],
          emit: [TransferStarted({ transferId, from, to, amountCents, requestedBy: input.data.requestedBy })],
        };
      }
      const request = state.request!;
      const stored = (answer: ProcessInput<TransferRequest>) => (answer.kind === 'answer' && answer.outcome === 'accepted' ? answer.events.map((e) => e.type) : []);
      const refusal = (answer: ProcessInput<TransferRequest>): { code: string; detail: string } | undefined =>
        answer.kind === 'answer' && answer.outcome === 'refused' ? { code: answer.code, detail: answer.detail } : undefined;
      const storedRefusal = (answer: ProcessInput<TransferRequest>): { code: string; detail: string } | undefined => {
        const event = answer.kind === 'answer' && answer.outcome === 'accepted' ? answer.events.find((e) => e.type === withdrawalRefused) : undefined;
        return event && { code: (event.data as { code: string }).code, detail: (event.data as { detail: string }).detail };
      };

      if (input.kind === 'answer' && input.step === 'withdraw' && state.step === 'withdrawing') {
        const refused = refusal(input) ?? storedRefusal(input);
        if (refused) return end(state, 'rejected', refused.code, refused.detail);
        if (!stored(input).includes(withdrawn)) return end(state, 'attention', 'unexpected-answer');
        const notAfter = new Date(now.getTime() + timeoutMs).toISOString();
        return {
          state: { ...state, step: 'depositing' },
          send: [
            send('deposit', 'deposit', {
              ...request.to,
              amountCents: request.amountCents,
              memo: `transfer ${request.transferId} from ${request.from.bank}`,
              transfer: { id: request.transferId, notAfter, requestedBy: request.requestedBy },
            }),
          ],
          schedule: [{ timer: 'depositTimeout', afterMs: timeoutMs + graceMs }],
        };
      }

      if (input.kind === 'answer' && input.step === 'deposit' && (state.step === 'depositing' || state.step === 'expiring')) {
        const refused = refusal(input);
        // Refused now, but a second send of the step could still land: fence it first.
        if (refused) return state.step === 'expiring' ? { state } : expire(state, refused.code, refused.detail);
        // Stored now, or earlier (a repeat of a landed transfer deposit stores nothing).
        return { ...end(state, 'completed'), cancel: ['depositTimeout'] };
      }

      if (input.kind === 'timer' && state.step === 'depositing') {
        // Silent past the deadline: fence the deposit before refunding, or a late one doubles the money.
        return expire(state, 'timeout', `the deposit at ${request.to.bank} was not taken in ${timeoutMs / 1000} s`);
      }

      if (input.kind === 'answer' && input.step === 'expire' && state.step === 'expiring') {
        const refused = refusal(input);
        if (refused?.code === 'deposit-landed') return end({ step: 'completed', request, ...(state.startedAt ? { startedAt: state.startedAt } : {}) }, 'completed');
        if (refused) return end(state, 'attention', refused.code, refused.detail);
        // Expired now, or before (a repeat stores nothing): the deposit can no longer land.
        return refund(state, now);
      }

      if (input.kind === 'answer' && input.step === 'refund' && state.step === 'refunding') {
        const refused = refusal(input);
        if (refused) return end(state, 'attention', refused.code, `the refund was refused: ${refused.detail}`);
        return end(state, 'compensated');
      }
      // Anything else (an answer the state has moved past): recorded, nothing more to do.
      return { state };
    },
  });
}
