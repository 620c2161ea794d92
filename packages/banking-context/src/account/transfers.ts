import { problems, type DecideContext, type EventEnvelope } from '@eventloom/core';
import { z } from 'zod';
import { Deposited, TransferDepositExpired } from './events.ts';
import { transferId } from './fields.ts';

/**
 * A transfer's deposit races its timeout (docs/design/process-managers.md, "Banking: the
 * transfer"): the receiving account settles the race by remembering, per transfer id,
 * whether the deposit landed or expired first. Whichever is written second is refused.
 */
export interface TransferMark {
  id: string;
  outcome: 'deposited' | 'expired';
  /** occurredAt of the event that wrote the mark. */
  at: string;
}

/**
 * How long a mark is kept: a day after its event, counted against the newest event the
 * account has seen, so the state holds a day of transfers, not the account's history.
 *
 * A mark only has to outlive its race. An expiry mark guards a deposit that is still
 * within its `notAfter` (later ones are refused by `notAfter` alone); a deposit mark
 * guards against an expiry that comes after it. The process sets `notAfter` to its
 * timeout and sends the expiry when that timer fires, seconds to minutes after the
 * deposit, so both races end long before a day. The bound assumes that: a transfer
 * window plus the expiry's lateness (timer lag, a stalled worker) under a day. An
 * expiry sent more than a day after the deposit landed would no longer meet it.
 */
export const transferMemoryMs = 24 * 60 * 60 * 1000;

/** What a deposit carries when a transfer's process makes it. */
export const transferInput = z
  .object({
    id: transferId,
    notAfter: z.iso.datetime({ offset: true, error: 'notAfter must be an ISO 8601 instant, e.g. 2026-01-31T12:00:00Z' }),
    /** Who started the transfer (the owner at the sending bank): recorded with the deposit made on the platform's authority. */
    requestedBy: z.string().min(1).max(128).optional(),
  })
  .strict();

export type TransferInput = z.infer<typeof transferInput>;

/** The marks after `event`: its own added, those a day older than it dropped. */
export function rememberTransfers(marks: TransferMark[], event: EventEnvelope): TransferMark[] {
  const id = markedId(event);
  const horizon = Date.parse(event.occurredAt) - transferMemoryMs;
  const kept = marks.some((mark) => Date.parse(mark.at) < horizon) ? marks.filter((mark) => Date.parse(mark.at) >= horizon) : marks;
  if (id === undefined) return kept;
  const outcome = event.type === Deposited.type ? 'deposited' : 'expired';
  return [...kept, { id, outcome, at: event.occurredAt }];
}

function markedId(event: EventEnvelope): string | undefined {
  if (event.type === Deposited.type) return (event.data as { transferId?: string }).transferId;
  if (event.type === TransferDepositExpired.type) return (event.data as { transferId: string }).transferId;
  return undefined;
}

export const markOf = (marks: TransferMark[] | undefined, id: string) => marks?.find((mark) => mark.id === id);

/** Transfers are the platform's: its process runs as an admin (there is no narrower role yet). */
export function mayMoveTransfers({ principal }: DecideContext): void {
  if (principal.role !== 'admin') {
    throw problems.forbidden("Only the platform's transfer process deposits a transfer's money or expires a transfer's deposit.");
  }
}
