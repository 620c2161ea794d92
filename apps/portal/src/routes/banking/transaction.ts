/**
 * A transaction as the form follows it: what was sent, and where it stands
 * (sent, accepted by the gateway, or refused).
 */
import { formatCents } from '#lib/components/banking/money.ts';
import type { Balance } from '#lib/components/banking/types.ts';

export const transactionTypes = [
	{ value: 'deposit', label: 'Deposit', verb: 'Deposit', noun: 'Deposit' },
	{ value: 'withdraw', label: 'Withdraw', verb: 'Withdraw', noun: 'Withdrawal' },
	{ value: 'void', label: 'Void', verb: 'Register (void)', noun: 'Void' },
] as const;

export interface Sent {
	customer: string;
	bank: string;
	type: string;
	amountCents: number | null;
}

export type Status =
	| { phase: 'sent'; sent: Sent }
	| { phase: 'accepted'; sent: Sent; eventId: string | null; duplicate: boolean; balanceAfterCents: number | null }
	| { phase: 'refused'; sent: Sent; reason: string };

/** "Deposit of $12.50 for U1001 at Republic Bank". */
export function describe(sent: Sent, bankName: (id: string) => string): string {
	const noun = transactionTypes.find((type) => type.value === sent.type)?.noun ?? sent.type;
	const amount = sent.amountCents !== null ? ` of ${formatCents(sent.amountCents)}` : '';
	return `${noun}${amount} for ${sent.customer || '?'} at ${bankName(sent.bank)}`;
}

/** The account's row once the balances view shows this transaction (or a later one); null before. */
export function confirmedRow(status: Status | null, accounts: Balance[]): Balance | null {
	if (status?.phase !== 'accepted') return null;
	const { sent, eventId } = status;
	const row = accounts.find((account) => account.customer === sent.customer && account.bank === sent.bank);
	if (!row) return null;
	// Event ids are UUIDv7: later events sort after earlier ones.
	return eventId === null || (row.lastEventId !== undefined && row.lastEventId >= eventId) ? row : null;
}
