import { ProblemError, listBalances, listBanks, readFailure, readLog } from '#lib/components/banking/gateway.server.ts';
import { instantFromParam } from '#lib/components/banking/time.ts';
import { eventTypes, type BankTotal, type LogFilters, type LogPage } from '#lib/components/banking/types.ts';
import type { FieldErrors } from '#lib/server/problem.ts';
import { requireSignIn } from '#lib/server/session.ts';
import type { PageServerLoad } from './$types';

const pageSize = 25;

export const load: PageServerLoad = async ({ locals, url, cookies, depends }) => {
	// Followed live only on the first page; an older page stays as it was read.
	depends('app:banking-events');
	const token = requireSignIn(locals, url);
	const params = url.searchParams;
	const errors: FieldErrors = {};

	const instant = (name: 'from' | 'to') => {
		const raw = params.get(name) ?? '';
		const iso = instantFromParam(raw);
		if (raw && !iso) errors[name] = ['Not a date and time'];
		return iso ?? '';
	};
	const filters: LogFilters = {
		customer: (params.get('customer') ?? '').trim(),
		bank: params.get('bank') ?? '',
		type: params.get('type') ?? '',
		from: instant('from'),
		to: instant('to'),
	};
	const cursor = params.get('cursor') ?? '';
	const pageNumber = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);

	let loadError: string | null = null;
	let banks: BankTotal[] = [];
	let customers: string[] = [];
	let log: LogPage = { items: [] };
	try {
		const [bankList, balances] = await Promise.all([listBanks(token), listBalances(token)]);
		banks = bankList;
		customers = [...new Set(balances.items.map((balance) => balance.customer))].sort();
		if (Object.keys(errors).length === 0) {
			log = await readLog(token, { ...filters, cursor: cursor || undefined, limit: pageSize });
		}
	} catch (error) {
		// The gateway's word on a filter (a customer id with spaces, to before from) shows next to it.
		if (error instanceof ProblemError && error.status === 400 && error.problem.errors) {
			Object.assign(errors, error.problem.errors);
		} else {
			loadError = readFailure(error, cookies, url);
		}
	}

	return {
		filters,
		filtered: Object.values(filters).some((value) => value !== ''),
		banks,
		customers,
		types: eventTypes,
		entries: log.items,
		next: log.cursor ?? null,
		paged: cursor !== '',
		pageNumber,
		errors,
		loadError,
	};
};
