import { error } from '@sveltejs/kit';
import {
	ProblemError,
	readCustomer,
	readCustomerAsOf,
	readFailure,
	readLog,
} from '#lib/components/banking/gateway.server.ts';
import { instantFromParam } from '#lib/components/banking/time.ts';
import type { CustomerAsOf, LogPage } from '#lib/components/banking/types.ts';
import { requireSignIn } from '#lib/server/session.ts';
import type { PageServerLoad } from './$types';

const historySize = 50;

export const load: PageServerLoad = async ({ locals, url, cookies, params, depends }) => {
	depends('app:banking');
	const token = requireSignIn(locals, url);
	const id = params.id;

	const asOfParam = url.searchParams.get('asOf');
	const asOf = instantFromParam(asOfParam);
	const asOfError = asOfParam && !asOf ? 'Not a date and time' : null;

	try {
		const [customer, history, past] = await Promise.all([
			readCustomer(token, id),
			readLog(token, { customer: id, limit: historySize }),
			// Replayed by the API from the account streams up to that instant: nothing stored.
			asOf ? readCustomerAsOf(token, id, asOf) : Promise.resolve(null),
		]);
		return { id, customer, history: history as LogPage, asOf: past as CustomerAsOf | null, asOfError, loadError: null };
	} catch (failure) {
		if (failure instanceof ProblemError && failure.status === 404) error(404, `No account for customer ${id} at any bank.`);
		if (failure instanceof ProblemError && failure.status === 400) error(400, failure.message);
		return {
			id,
			customer: null,
			history: { items: [] } as LogPage,
			asOf: null,
			asOfError,
			loadError: readFailure(failure, cookies, url),
		};
	}
};
