import { randomUUID } from 'node:crypto';
import { fail, redirect } from '@sveltejs/kit';
import { toFormErrors, type FieldErrors } from '#lib/components/banking/form-errors.ts';
import {
	ProblemError,
	GatewayUnreachable,
	listBanks,
	listTransfers,
	ownBank,
	readFailure,
	startTransfer,
} from '#lib/components/banking/gateway.server.ts';
import { parseDollars } from '#lib/components/banking/money.ts';
import type { BankTotal, TransferStatus, TransferSummary } from '#lib/components/banking/types.ts';
import { problemMessage } from '#lib/server/problem.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';

/** How many transfers a page of the list shows. */
const pageSize = 50;

export const load: PageServerLoad = async ({ locals, url, cookies, depends }) => {
	// The page's live stream invalidates this key whenever a banking view changes.
	depends('app:banking');
	const token = requireSignIn(locals, url);
	const principal = locals.principal;
	const cursor = url.searchParams.get('cursor') ?? undefined;
	// A fresh id per page load: the form sends it, so a form sent twice starts one transfer.
	const transferId = randomUUID();
	const empty = { banks: [] as BankTotal[], ownBank: null, transfers: [] as TransferSummary[], next: null, cursor: cursor ?? null, transferId };
	if (principal?.role !== 'owner' && principal?.role !== 'admin') return { ...empty, loadError: null };
	try {
		const [banks, page] = await Promise.all([listBanks(token), listTransfers(token, { limit: pageSize, cursor })]);
		return {
			banks,
			ownBank: principal.role === 'owner' ? ownBank(banks, principal.bank) : null,
			transfers: page.items,
			next: page.cursor ?? null,
			cursor: cursor ?? null,
			transferId,
			loadError: null,
		};
	} catch (error) {
		return { ...empty, loadError: readFailure(error, cookies, url) };
	}
};

/** What the form sent, echoed back so a refused form keeps its values. */
export interface TransferForm {
	fromCustomer: string;
	fromBank: string;
	toCustomer: string;
	toBank: string;
	amount: string;
}

/** The form's field for each field path the transfers API names in its problems. */
const formField: Record<string, keyof TransferForm> = {
	'from.customer': 'fromCustomer',
	'from.bank': 'fromBank',
	'to.customer': 'toCustomer',
	'to.bank': 'toBank',
	amountCents: 'amount',
};

export const actions: Actions = {
	start: async ({ request, locals, url, cookies }) => {
		const token = requireSignIn(locals, url);
		const form = await request.formData();
		const text = (name: string) => String(form.get(name) ?? '');
		const values: TransferForm = {
			fromCustomer: text('fromCustomer').trim(),
			fromBank: text('fromBank'),
			toCustomer: text('toCustomer').trim(),
			toBank: text('toBank'),
			amount: text('amount'),
		};
		const transferId = text('transferId') || randomUUID();

		// Dollars become cents, and the banks must differ; every other rule is the gateway's,
		// so its messages show. A form wrong here is still sent: the gateway refuses it
		// (nothing starts) and names its other wrong fields, so every error shows at once.
		const ours: FieldErrors = {};
		const amount = parseDollars(values.amount);
		if (!amount.ok) ours.amount = [amount.message];
		if (values.toBank === '') ours.toBank = ['Choose the bank the money goes to'];
		else if (values.toBank === values.fromBank) ours.toBank = ['Choose another bank: a transfer goes from one bank to another'];

		let started: TransferStatus;
		try {
			started = await startTransfer(token, {
				transferId,
				from: { customer: values.fromCustomer, bank: values.fromBank },
				to: { customer: values.toCustomer, bank: values.toBank },
				...(amount.ok ? { amountCents: amount.cents } : {}),
			});
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof ProblemError) {
				const { fields, rest } = toFormErrors(error.problem.errors ?? {}, formField);
				const errors = { ...fields, ...ours };
				if (error.status === 409) {
					// This form's id names a transfer with other details (an earlier send changed since):
					// a new id lets the next send start this one.
					return fail(409, { values, errors, transferId: randomUUID(), message: 'This form already started another transfer; send it again to start this one.' });
				}
				const message = Object.keys(errors).length > 0 && rest.length === 0 ? null : [problemMessage(error.problem), ...rest].join(' ');
				return fail(error.status, { values, errors, transferId, message });
			}
			if (error instanceof GatewayUnreachable) return fail(503, { values, errors: ours, transferId, message: error.message });
			throw error;
		}
		// Finished or still moving, its page follows it from here.
		redirect(303, `/banking/transfers/${encodeURIComponent(started.transferId)}`);
	},
};
