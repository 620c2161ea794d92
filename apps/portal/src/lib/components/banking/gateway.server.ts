/**
 * The banking context's API (`/api/banking`) as the portal's pages read it:
 * typed answers, and one way to turn a failed read into a line on the page.
 */
import type { Cookies } from '@sveltejs/kit';
import { body, command, gateway, GatewayUnreachable, ProblemError } from '#lib/server/gateway.ts';
import { pages, type components, type paths } from '@eventloom/client';
import { endSessionOn401 } from '#lib/server/session.ts';
import type {
	Balance,
	BankTotal,
	Customer,
	CustomerAsOf,
	EventDetail,
	EventJourney,
	LogPage,
	TransactionReply,
	TransferPage,
	TransferStatus,
} from './types.ts';

/**
 * Bank ids, event types and the like come from the page's URL or form as text: the
 * gateway checks them and a refusal (400) names the field, so they are passed on as
 * they are rather than narrowed here.
 */
type Unchecked<T> = { [K in keyof T]: T[K] | string | undefined };
const given = <T extends object>(query: Unchecked<T>) =>
	Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== '')) as T;

export async function listBanks(token: string): Promise<BankTotal[]> {
	return (await body(gateway(token).api.GET('/api/banking/banks'))).items;
}

/** Most accounts a page lists; past it the page says so instead of paging forever. */
export const balancesShown = 1000;

/** Every account (up to `balancesShown`), following the API's cursor. */
export async function listBalances(token: string, filter: { customer?: string } = {}): Promise<{ items: Balance[]; more: boolean }> {
	const client = gateway(token);
	const items: Balance[] = [];
	const balances = pages((cursor) => body(client.api.GET('/api/banking/balances', { params: { query: given({ limit: 200, customer: filter.customer, cursor }) } })));
	for await (const page of balances) {
		items.push(...page.items);
		if (items.length >= balancesShown) return { items: items.slice(0, balancesShown), more: Boolean(page.cursor) || items.length > balancesShown };
	}
	return { items, more: false };
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

type Query<P extends '/api/banking/events' | '/api/banking/transfers'> = NonNullable<paths[P]['get']['parameters']['query']>;

export async function readLog(token: string, query: LogQuery): Promise<LogPage> {
	return body(gateway(token).api.GET('/api/banking/events', { params: { query: given<Query<'/api/banking/events'>>(query) } }));
}

export async function readEvent(token: string, eventId: string): Promise<EventDetail> {
	return body(gateway(token).api.GET('/api/banking/events/{eventId}', { params: { path: { eventId } } }));
}

export async function readJourney(token: string, eventId: string): Promise<EventJourney> {
	return body(gateway(token).api.GET('/api/banking/events/{eventId}/journey', { params: { path: { eventId } } }));
}

export async function readCustomer(token: string, customer: string): Promise<Customer> {
	return body(gateway(token).api.GET('/api/banking/customers/{customer}', { params: { path: { customer }, query: { limit: 1 } } }));
}

export async function readCustomerAsOf(token: string, customer: string, asOf: string): Promise<CustomerAsOf> {
	return body(gateway(token).api.GET('/api/banking/customers/{customer}/balance', { params: { path: { customer }, query: { asOf } } }));
}

export interface TransactionInput {
	customer: string;
	bank: string;
	type: string;
	amountCents?: number;
	memo?: string;
}

type Transaction = components['schemas']['Transaction'];

/**
 * Sends the form's transaction. `Prefer: wait=5` holds the reply until the views
 * show it (200, applied); a slower view answers 202 and the live stream confirms.
 */
export async function transact(token: string, input: TransactionInput, idempotencyKey: string | null): Promise<TransactionReply> {
	return body(
		gateway(token).api.POST('/api/banking/transactions', {
			params: { header: command({ wait: 5, ...(idempotencyKey ? { idempotencyKey } : {}) }) },
			body: input as Transaction,
		}),
	);
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
	return body(gateway(token).api.POST('/api/banking/transfers', { params: { header: { prefer: `wait=${waitSeconds}` } }, body: request as components['schemas']['TransferRequest'] }));
}

export interface TransferQuery {
	bank?: string | undefined;
	customer?: string | undefined;
	limit?: number | undefined;
	cursor?: string | undefined;
}

/** Transfers newest first: an owner's bank's (leaving or arriving), or any for an admin. */
export async function listTransfers(token: string, query: TransferQuery = {}): Promise<TransferPage> {
	return body(gateway(token).api.GET('/api/banking/transfers', { params: { query: given<Query<'/api/banking/transfers'>>(query) } }));
}

export async function readTransfer(token: string, transferId: string): Promise<TransferStatus> {
	return body(gateway(token).api.GET('/api/banking/transfers/{transferId}', { params: { path: { transferId } } }));
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
	if (error instanceof ProblemError || error instanceof GatewayUnreachable) return error.message;
	throw error;
}

export { GatewayUnreachable, ProblemError };
