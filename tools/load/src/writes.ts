import { json, type Answer, type Gateway } from './gateway.ts';
import type { Ledger, MoneyWrite } from './ledger.ts';
import type { Category } from './tally.ts';

export const moneyRoute = (kind: MoneyWrite['kind']) => `POST /api/banking/accounts/{customer}/{bank}/${kind === 'deposit' ? 'deposits' : 'withdrawals'}`;

export const moneyPath = (write: Pick<MoneyWrite, 'account' | 'kind'>) =>
  `/api/banking/accounts/${write.account.customer}/${write.account.bank}/${write.kind === 'deposit' ? 'deposits' : 'withdrawals'}`;

/** Sends a deposit or withdrawal with its idempotency key (as `token`, unless another caller is named). */
export function sendMoneyWrite(gateway: Gateway, write: MoneyWrite, options: { category?: Category; token?: string; abusive?: boolean } = {}): Promise<Answer> {
  return gateway.send({
    category: options.category ?? 'write',
    route: moneyRoute(write.kind),
    method: 'POST',
    path: moneyPath(write),
    token: options.token ?? write.token,
    headers: { 'idempotency-key': write.idempotencyKey },
    body: JSON.stringify({ amountCents: write.amountCents }),
    abusive: options.abusive ?? false,
  });
}

export type WriteOutcome = 'acknowledged' | 'refused' | 'unanswered';

/**
 * What an answer says about a write: 2xx applied it (a duplicate answer: an earlier try
 * did); a 4xx refused it (nothing written); no answer or a 5xx may have applied it or not
 * (a 503 says so: send it again with the same key).
 */
export function outcomeOf(answer: Answer): WriteOutcome {
  if (answer.status >= 200 && answer.status < 300) return 'acknowledged';
  if (answer.status >= 400 && answer.status < 500) return 'refused';
  return 'unanswered';
}

/** Books the answer to a write in the ledger; returns what it was. */
export function book(ledger: Ledger, write: MoneyWrite, answer: Answer): WriteOutcome {
  const outcome = outcomeOf(answer);
  if (outcome === 'acknowledged') ledger.acknowledged(write);
  else if (outcome === 'refused') ledger.refused(write);
  else ledger.unanswered(write);
  return outcome;
}

/** True for an answer that repeats an earlier one (the same key, caller and body). */
export function isDuplicate(answer: Answer): boolean {
  return json<{ duplicate?: boolean }>(answer)?.duplicate === true;
}
