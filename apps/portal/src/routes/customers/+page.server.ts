import { redirect } from '@sveltejs/kit';
import { listBalances, readFailure } from '#lib/components/banking/gateway.server.ts';
import type { Balance } from '#lib/components/banking/types.ts';
import { requireSignIn } from '#lib/server/session.ts';
import type { PageServerLoad } from './$types';

export interface CustomerSummary {
	customer: string;
	totalCents: number;
	accounts: Pick<Balance, 'bank' | 'bankName' | 'balanceCents'>[];
	lastAt: string | null;
}

export const load: PageServerLoad = async ({ locals, url, cookies, depends }) => {
	depends('app:banking');
	const token = requireSignIn(locals, url);
	// The "open a customer" form: straight to that customer's page.
	const wanted = url.searchParams.get('customer')?.trim();
	if (wanted) redirect(303, `/customers/${encodeURIComponent(wanted)}`);

	try {
		const balances = await listBalances(token);
		const byCustomer = new Map<string, CustomerSummary>();
		for (const balance of balances.items) {
			const summary = byCustomer.get(balance.customer) ?? { customer: balance.customer, totalCents: 0, accounts: [], lastAt: null };
			summary.totalCents += balance.balanceCents;
			summary.accounts.push({ bank: balance.bank, bankName: balance.bankName, balanceCents: balance.balanceCents });
			if (balance.lastAt && (!summary.lastAt || balance.lastAt > summary.lastAt)) summary.lastAt = balance.lastAt;
			byCustomer.set(balance.customer, summary);
		}
		const customers = [...byCustomer.values()].sort((a, b) => a.customer.localeCompare(b.customer));
		return { customers, more: balances.more, loadError: null };
	} catch (error) {
		return { customers: [] as CustomerSummary[], more: false, loadError: readFailure(error, cookies, url) };
	}
};
