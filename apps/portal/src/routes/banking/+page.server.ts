import { randomUUID } from 'node:crypto';
import { fail } from '@sveltejs/kit';
import {
	ProblemError,
	GatewayUnreachable,
	listBalances,
	listBanks,
	ownBank,
	readFailure,
	transact,
	type TransactionInput,
} from '#lib/components/banking/gateway.server.ts';
import { toFormErrors } from '#lib/components/banking/form-errors.ts';
import { parseDollars } from '#lib/components/banking/money.ts';
import type { Balance, BankTotal } from '#lib/components/banking/types.ts';
import { problemMessage, type FieldErrors } from '#lib/server/problem.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, cookies, depends }) => {
	// The page's live stream invalidates this key whenever a banking view changes.
	depends('app:banking');
	const token = requireSignIn(locals, url);
	try {
		const [banks, balances] = await Promise.all([listBanks(token), listBalances(token)]);
		const accounts = [...balances.items].sort((a, b) => a.customer.localeCompare(b.customer) || a.bankName.localeCompare(b.bankName));
		return {
			banks,
			accounts,
			moreAccounts: balances.more,
			ownBank: locals.principal?.role === 'owner' ? ownBank(banks, locals.principal.bank) : null,
			// A fresh key per page load: a form sent twice with it (double click, a retried POST) applies once.
			submissionKey: randomUUID(),
			loadError: null,
		};
	} catch (error) {
		return {
			banks: [] as BankTotal[],
			accounts: [] as Balance[],
			moreAccounts: false,
			ownBank: null,
			submissionKey: randomUUID(),
			loadError: readFailure(error, cookies, url),
		};
	}
};

/** What the form sent, echoed back so a refused form keeps its values. */
export interface TransactionForm {
	customer: string;
	bank: string;
	type: string;
	amount: string;
	memo: string;
}

/** The form's field for each field the banking API names in its problems. */
const formField: Record<string, keyof TransactionForm> = {
	customer: 'customer',
	bank: 'bank',
	type: 'type',
	amountCents: 'amount',
	memo: 'memo',
};

export const actions: Actions = {
	transact: async ({ request, locals, url, cookies }) => {
		const token = requireSignIn(locals, url);
		const form = await request.formData();
		const text = (name: string) => String(form.get(name) ?? '');
		const values: TransactionForm = {
			customer: text('customer').trim(),
			bank: text('bank'),
			type: text('type'),
			amount: text('amount'),
			memo: text('memo'),
		};
		const key = text('submissionKey') || null;

		// Dollars become cents here; every other rule is the gateway's, so its messages show.
		const input: TransactionInput = { customer: values.customer, bank: values.bank, type: values.type };
		let amountError: string | null = null;
		if (values.type !== 'void') {
			const amount = parseDollars(values.amount);
			// Not dollars: sent without an amount, which the gateway refuses (nothing written)
			// while it reports the other fields, so every error shows at once.
			if (amount.ok) input.amountCents = amount.cents;
			else amountError = amount.message;
		}
		if (values.memo.trim()) input.memo = values.memo.trim();

		try {
			const reply = await transact(token, input, key);
			const last = reply.events.at(-1);
			return {
				values,
				result: {
					customer: values.customer,
					bank: values.bank,
					type: values.type,
					amountCents: input.amountCents ?? 0,
					status: reply.status,
					duplicate: reply.duplicate,
					eventId: last?.id ?? null,
					balanceAfterCents: reply.balanceAfterCents ?? null,
				},
			};
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof ProblemError) {
				const { fields, rest } = toFormErrors(error.problem.errors ?? {}, formField);
				if (amountError) fields.amount = [amountError];
				const message = Object.keys(fields).length > 0 && rest.length === 0 ? null : [problemMessage(error.problem), ...rest].join(' ');
				return refused(error.status, values, fields, message);
			}
			if (error instanceof GatewayUnreachable) return refused(503, values, {}, error.message);
			throw error;
		}
	},
};

function refused(status: number, values: TransactionForm, errors: FieldErrors, message: string | null) {
	return fail(status, { values, errors, message });
}
