/**
 * The banking context's API (`/api/banking`) as the portal's pages read it:
 * typed answers, and one way to turn a failed read into a line on the page.
 */
import type { Cookies } from '@sveltejs/kit';
import { callGateway, GatewayError, GatewayUnreachable } from '#lib/server/gateway.ts';
import { endSessionOn401 } from '#lib/server/session.ts';
import type {
	Balance,
	BankTotal,
	Customer,
	CustomerAsOf,
	EventDetail,
	LogPage,
	TransactionReply,
	TransferPage,
	TransferStatus,
} from './types.ts';

const api = '/api/banking';

export async function listBanks(token: string): Promise<BankTotal[]> {
	return (await callGateway<{ items: BankTotal[] }>(`${api}/banks`, { token })).body.items;
}

/** Most accounts a page lists; past it the page says so instead of paging forever. */
export const balancesShown = 1000;

/** Every account (up to `balancesShown`), following the API's cursor. */
export async function listBalances(token: string, filter: { customer?: string } = {}): Promise<{ items: Balance[]; more: boolean }> {
	const items: Balance[] = [];
	let cursor: string | undefined;
	do {
		const query = new URLSearchParams({ limit: '200' });
		if (filter.customer) query.set('customer', filter.customer);
		if (cursor) query.set('cursor', cursor);
		const { body } = await callGateway<{ items: Balance[]; cursor?: string }>(`${api}/balances?${query}`, { token });
		items.push(...body.items);
		cursor = body.cursor;
	} while (cursor && items.length < balancesShown);
	return { items: items.slice(0, balancesShown), more: Boolean(cursor) || items.length > balancesShown };
}

export interface LogQuery {
	customer?: string | undefined;
	bank?: string | undefined;
	type?: string | undefined;
	from?: string | undefined;
	to?: string | undefined;
	limit?: number | undefined;
	cursor?: string | undefined;
}

export async function readLog(token: string, query: LogQuery): Promise<LogPage> {
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(query)) {
		if (value !== undefined && value !== '') params.set(name, String(value));
	}
	return (await callGateway<LogPage>(`${api}/events?${params}`, { token })).body;
}

export async function readEvent(token: string, eventId: string): Promise<EventDetail> {
	return (await callGateway<EventDetail>(`${api}/events/${encodeURIComponent(eventId)}`, { token })).body;
}

export async function readCustomer(token: string, customer: string): Promise<Customer> {
	return (await callGateway<Customer>(`${api}/customers/${encodeURIComponent(customer)}?limit=1`, { token })).body;
}

export async function readCustomerAsOf(token: string, customer: string, asOf: string): Promise<CustomerAsOf> {
	const query = new URLSearchParams({ asOf });
	return (await callGateway<CustomerAsOf>(`${api}/customers/${encodeURIComponent(customer)}/balance?${query}`, { token })).body;
}

export interface TransactionInput {
	customer: string;
	bank: string;
	type: string;
	amountCents?: number;
	memo?: string;
}

/**
 * Sends the form's transaction. `Prefer: wait=5` holds the reply until the views
 * show it (200, applied); a slower view answers 202 and the live stream confirms.
 */
export async function transact(token: string, input: TransactionInput, idempotencyKey: string | null): Promise<TransactionReply> {
	const headers: Record<string, string> = { prefer: 'wait=5' };
	if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
	return (await callGateway<TransactionReply>(`${api}/transactions`, { token, headers, body: input })).body;
}

export interface TransferInput {
	/** Ours: the same id sent twice starts one transfer. */
	transferId: string;
	from: { customer: string; bank: string };
	to: { customer: string; bank: string };
	/** Left out when the form's amount is not dollars: the gateway refuses it and names the other wrong fields. */
	amountCents?: number;
}

/**
 * Starts a transfer (or finds the one already started under its id). `Prefer: wait`
 * holds the reply until it has finished, up to `waitSeconds`; a slower one answers
 * unfinished and its page follows it.
 */
export async function startTransfer(token: string, request: TransferInput, waitSeconds = 5): Promise<TransferStatus> {
	return (await callGateway<TransferStatus>(`${api}/transfers`, { token, headers: { prefer: `wait=${waitSeconds}` }, body: request })).body;
}

export interface TransferQuery {
	bank?: string | undefined;
	customer?: string | undefined;
	limit?: number | undefined;
	cursor?: string | undefined;
}

/** Transfers newest first: an owner's bank's (leaving or arriving), or any for an admin. */
export async function listTransfers(token: string, query: TransferQuery = {}): Promise<TransferPage> {
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(query)) {
		if (value !== undefined && value !== '') params.set(name, String(value));
	}
	return (await callGateway<TransferPage>(`${api}/transfers?${params}`, { token })).body;
}

export async function readTransfer(token: string, transferId: string): Promise<TransferStatus> {
	return (await callGateway<TransferStatus>(`${api}/transfers/${encodeURIComponent(transferId)}`, { token })).body;
}

/**
 * The bank an owner's token names ("Republic Bank"), matched to the API's banks
 * by name or id, case and spacing ignored — the same rule the gateway applies.
 */
export function ownBank(banks: readonly { bank: string; bankName: string }[], principalBank: string | undefined): string | null {
	if (!principalBank) return null;
	const normalise = (text: string) => text.trim().toLowerCase().replace(/\s+/g, '-');
	const wanted = normalise(principalBank);
	return banks.find((b) => normalise(b.bankName) === wanted || b.bank === wanted)?.bank ?? null;
}

/**
 * A read that failed, as one line for the page. A refused token ends the session
 * (redirect to sign-in); anything that is not the gateway's answer is a bug and rethrown.
 */
export function readFailure(error: unknown, cookies: Cookies, url: URL): string {
	endSessionOn401(error, cookies, url);
	if (error instanceof GatewayError || error instanceof GatewayUnreachable) return error.message;
	throw error;
}

export { GatewayError, GatewayUnreachable };
