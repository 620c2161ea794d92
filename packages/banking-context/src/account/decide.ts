import { defineAggregate, ProblemError, problems, type DecideContext, type EventEnvelope, type NewEvent } from '@eventloom/core';
import { z } from 'zod';
import { bankById, bankByName, bankId, type BankId } from '../banks.ts';
import { AccountFrozen, AccountOpened, AccountUnfrozen, Deposited, TransferDepositExpired, TransferWithdrawalRefused, Voided, Withdrawn } from './events.ts';
import { amountCents, customerId, formatCents, memo, transferId } from './fields.ts';
import { markOf, mayMoveTransfers, rememberTransfers, transferInput, type TransferMark } from './transfers.ts';

/** An account is one customer at one bank; its stream is `account-{customer}-{bank}`. */
export interface AccountState {
  opened: boolean;
  balanceCents: number;
  /** Absent in snapshots saved before accounts could be frozen: read as not frozen. */
  frozen?: boolean;
  /** Transfers' deposits and expiries of the last day (transfers.ts); absent in older snapshots. */
  transfers?: TransferMark[];
}

/** Keeps every balance an exact integer in a double (far below 2^53). */
export const maxBalanceCents = 1_000_000_000_000_000;

export const accountStream = (customer: string, bank: BankId) => `account-${customer}-${bank}`;

const accountKey = { customer: customerId, bank: bankId };
const moneyInput = z.object({ ...accountKey, amountCents, memo: memo.optional() }).strict();
/** A transfer's process sends `transfer`; people's deposits never do. */
export const depositInput = moneyInput.extend({ transfer: transferInput.optional() });
/** A transfer's withdrawal names its transfer: its refusal is then stored (see the command). */
export const withdrawInput = moneyInput.extend({ transfer: z.object({ id: transferId }).strict().optional() });
export const voidInput = z.object({ ...accountKey, memo: memo.optional() }).strict();
export const freezeInput = voidInput;
export const expireTransferDepositInput = z.object({ ...accountKey, transferId }).strict();

export type DepositInput = z.infer<typeof depositInput>;
export type WithdrawInput = z.infer<typeof withdrawInput>;
export type VoidInput = z.infer<typeof voidInput>;
export type FreezeInput = z.infer<typeof freezeInput>;
export type ExpireTransferDepositInput = z.infer<typeof expireTransferDepositInput>;

export const account = defineAggregate({
  name: 'account',
  initialState: (): AccountState => ({ opened: false, balanceCents: 0, frozen: false, transfers: [] }),
  evolve: (state: AccountState, event: EventEnvelope): AccountState => ({ ...evolveAccount(state, event), transfers: rememberTransfers(state.transfers ?? [], event) }),
  commands: {
    deposit: {
      schema: depositInput,
      stream: (input: DepositInput) => accountStream(input.customer, input.bank),
      decide: (input: DepositInput, state: AccountState, context: DecideContext): NewEvent[] => {
        if (input.transfer) {
          mayMoveTransfers(context);
          const mark = markOf(state.transfers, input.transfer.id);
          // A repeat of a transfer's deposit that landed must not pay twice.
          if (mark?.outcome === 'deposited') return [];
          if (mark?.outcome === 'expired' || context.now.getTime() > Date.parse(input.transfer.notAfter)) {
            throw problems.rejected('transfer-expired', `Transfer ${input.transfer.id} timed out before its deposit into the account of ${ofTheAccount(input)}; the transfer refunds the sender.`);
          }
        } else {
          mayTransact(context, input.bank);
        }
        notFrozen(input, state);
        const balanceAfterCents = state.balanceCents + input.amountCents;
        if (balanceAfterCents > maxBalanceCents) {
          throw problems.rejected('balance-limit', `An account may hold at most ${formatCents(maxBalanceCents)}.`, 'amountCents');
        }
        const transfer = input.transfer ? { transferId: input.transfer.id, ...(input.transfer.requestedBy ? { requestedBy: input.transfer.requestedBy } : {}) } : {};
        return [...opening(input, state), Deposited({ ...key(input), amountCents: input.amountCents, balanceAfterCents, ...why(input), ...transfer })];
      },
    },
    withdraw: {
      schema: withdrawInput,
      stream: (input: WithdrawInput) => accountStream(input.customer, input.bank),
      decide: (input: WithdrawInput, state: AccountState, context: DecideContext): NewEvent[] => {
        if (input.transfer) mayMoveTransfers(context);
        else mayTransact(context, input.bank);
        const refused = refusalOf(() => {
          notFrozen(input, state);
          if (input.amountCents > state.balanceCents) {
            throw problems.rejected(
              'insufficient-funds',
              `${input.customer} has ${formatCents(state.balanceCents)} at ${bankById(input.bank).name}; ` +
                `a withdrawal of ${formatCents(input.amountCents)} would overdraw the account.`,
              'amountCents',
            );
          }
        });
        if (refused) {
          // A transfer's refusal is stored under the step's key: a second send of the step
          // (a sweep racing the first) gets this answer too, and cannot land once funds arrive
          // after the transfer was rejected. Anyone else's refusal stays a 422 that writes nothing.
          if (!input.transfer) throw refused;
          const code = refused.problem.type.slice(refused.problem.type.lastIndexOf('/') + 1);
          return [TransferWithdrawalRefused({ ...key(input), amountCents: input.amountCents, transferId: input.transfer.id, code, detail: refused.problem.detail ?? refused.message })];
        }
        const balanceAfterCents = state.balanceCents - input.amountCents;
        return [Withdrawn({ ...key(input), amountCents: input.amountCents, balanceAfterCents, ...why(input) })];
      },
    },
    void: {
      schema: voidInput,
      stream: (input: VoidInput) => accountStream(input.customer, input.bank),
      decide: (input: VoidInput, state: AccountState, context: DecideContext): NewEvent[] => {
        mayTransact(context, input.bank);
        return [...opening(input, state), Voided({ ...key(input), ...why(input) })];
      },
    },
    freeze: {
      schema: freezeInput,
      stream: (input: FreezeInput) => accountStream(input.customer, input.bank),
      decide: (input: FreezeInput, state: AccountState, context: DecideContext): NewEvent[] => {
        mayTransact(context, input.bank);
        if (!state.opened) {
          throw problems.rejected('no-account', `${input.customer} has no account at ${bankById(input.bank).name} to freeze.`, 'customer');
        }
        if (state.frozen) throw problems.rejected('already-frozen', `${theAccount(input)} is already frozen.`);
        return [AccountFrozen({ ...key(input), ...why(input) })];
      },
    },
    unfreeze: {
      schema: freezeInput,
      stream: (input: FreezeInput) => accountStream(input.customer, input.bank),
      decide: (input: FreezeInput, state: AccountState, context: DecideContext): NewEvent[] => {
        mayTransact(context, input.bank);
        if (!state.frozen) throw problems.rejected('not-frozen', `${theAccount(input)} is not frozen.`);
        return [AccountUnfrozen({ ...key(input), ...why(input) })];
      },
    },
    /** A transfer's timeout: once this is written, the transfer's deposit is refused here and the sender may be refunded. */
    expireTransferDeposit: {
      schema: expireTransferDepositInput,
      stream: (input: ExpireTransferDepositInput) => accountStream(input.customer, input.bank),
      decide: (input: ExpireTransferDepositInput, state: AccountState, context: DecideContext): NewEvent[] => {
        mayMoveTransfers(context);
        const mark = markOf(state.transfers, input.transferId);
        if (mark?.outcome === 'deposited') {
          throw problems.rejected('deposit-landed', `Transfer ${input.transferId} is already deposited into the account of ${ofTheAccount(input)}: it completed.`);
        }
        // Expired already: the expiry holds, and a repeat of the step writes nothing.
        if (mark?.outcome === 'expired') return [];
        return [TransferDepositExpired({ ...key(input), transferId: input.transferId })];
      },
    },
  },
});

function evolveAccount(state: AccountState, event: EventEnvelope): AccountState {
  switch (event.type) {
    case AccountOpened.type:
      return { ...state, opened: true };
    case Deposited.type:
    case Withdrawn.type:
      return { ...state, balanceCents: (event.data as { balanceAfterCents: number }).balanceAfterCents };
    case AccountFrozen.type:
      return { ...state, frozen: true };
    case AccountUnfrozen.type:
      return { ...state, frozen: false };
    default:
      return state;
  }
}

/** Admins transact anywhere; an owner only at their own bank; consumers never. */
export function mayTransact({ principal }: DecideContext, bank: BankId): void {
  if (principal.role === 'admin') return;
  if (principal.role === 'owner') {
    const own = bankByName(principal.bank);
    if (own?.id === bank) return;
    const detail = own
      ? `You own ${own.name}; you may transact only there, not at ${bankById(bank).name}.`
      : 'Your sign-in names no bank, so you may not transact.';
    throw new ProblemError({ ...problems.forbidden(detail).problem, errors: { bank: [detail] } });
  }
  throw problems.forbidden('Consumers may read balances but not transact.');
}

/** A frozen account moves no money, in or out, until its bank's owner unfreezes it. */
/** A domain refusal (422) the check throws, or nothing; any other error goes on. */
function refusalOf(check: () => void): ProblemError | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof ProblemError && error.status === 422) return error;
    throw error;
  }
}

function notFrozen(input: { customer: string; bank: BankId }, state: AccountState): void {
  if (state.frozen) throw problems.rejected('account-frozen', `${theAccount(input)} is frozen: it takes no deposits or withdrawals until it is unfrozen.`);
}

const theAccount = (input: { customer: string; bank: BankId }) => `The account of ${ofTheAccount(input)}`;
const ofTheAccount = (input: { customer: string; bank: BankId }) => `${input.customer} at ${bankById(input.bank).name}`;

const key = (input: { customer: string; bank: BankId }) => ({ customer: input.customer, bank: input.bank });

/** The memo, if one was given (blank memos are no memo). */
const why = (input: { memo?: string | undefined }) => (input.memo?.trim() ? { memo: input.memo.trim() } : {});

/** A first transaction opens the account. */
const opening = (input: { customer: string; bank: BankId }, state: AccountState): NewEvent[] => (state.opened ? [] : [AccountOpened(key(input))]);
