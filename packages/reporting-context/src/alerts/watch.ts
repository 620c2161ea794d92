import type { AlertRules } from '../config.ts';

/** One side of a cross-bank movement: a withdrawal or a deposit. */
export interface Movement {
  eventId: string;
  bank: string;
  amountCents: number;
  /** When it happened (the banking event's occurredAt). */
  at: string;
}

/**
 * What the watch remembers of one customer: withdrawals that may still be answered by
 * a deposit elsewhere (a session window that closes `windowMs` after each), and the
 * matches it made lately, so a replayed deposit finds its alert again.
 */
export interface CustomerWatch {
  pending: Movement[];
  matched: { deposit: string; withdrawal: Movement }[];
}

/** Bounds on a customer's row (an ATM spree should not outgrow a table property). */
const maxPending = 50;
const maxMatched = 100;

export const emptyWatch = (): CustomerWatch => ({ pending: [], matched: [] });

const gapMs = (a: Movement, b: Movement) => Math.abs(Date.parse(b.at) - Date.parse(a.at));

/** Within the tolerance, in percent of the withdrawal. */
export function similar(withdrawal: Movement, deposit: Movement, tolerancePercent: number): boolean {
  return Math.abs(deposit.amountCents - withdrawal.amountCents) * 100 <= withdrawal.amountCents * tolerancePercent;
}

/** Withdrawals whose window has closed by `now` are forgotten. */
function open(pending: Movement[], now: Movement, rules: AlertRules): Movement[] {
  return pending.filter((w) => Date.parse(now.at) - Date.parse(w.at) <= rules.windowMs);
}

export function afterWithdrawal(watch: CustomerWatch, withdrawal: Movement, rules: AlertRules): CustomerWatch {
  return { ...watch, pending: [...open(watch.pending, withdrawal, rules), withdrawal].slice(-maxPending) };
}

/**
 * A deposit answers the open withdrawal at another bank that is closest in amount
 * (then closest in time, then oldest); that withdrawal is used up.
 */
export function afterDeposit(watch: CustomerWatch, deposit: Movement, rules: AlertRules): { watch: CustomerWatch; withdrawal?: Movement } {
  const pending = open(watch.pending, deposit, rules);
  const candidates = pending.filter((w) => w.bank !== deposit.bank && gapMs(w, deposit) <= rules.windowMs && similar(w, deposit, rules.tolerancePercent));
  const withdrawal = candidates.sort(
    (a, b) =>
      Math.abs(a.amountCents - deposit.amountCents) - Math.abs(b.amountCents - deposit.amountCents) ||
      gapMs(a, deposit) - gapMs(b, deposit) ||
      (a.eventId < b.eventId ? -1 : 1),
  )[0];
  if (!withdrawal) return { watch: { ...watch, pending } };
  return {
    watch: {
      pending: pending.filter((w) => w.eventId !== withdrawal.eventId),
      matched: [...watch.matched, { deposit: deposit.eventId, withdrawal }].slice(-maxMatched),
    },
    withdrawal,
  };
}
