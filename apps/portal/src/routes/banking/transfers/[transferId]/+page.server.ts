import { error } from '@sveltejs/kit';
import { ProblemError, listBanks, readFailure, readTransfer } from '#lib/components/banking/gateway.server.ts';
import type { BankTotal } from '#lib/components/banking/types.ts';
import { requireSignIn } from '#lib/server/session.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, cookies, params, depends }) => {
	// Invalidated by the live stream on banking view changes, and every second while the transfer moves.
	depends('app:banking');
	const token = requireSignIn(locals, url);
	try {
		const [transfer, banks] = await Promise.all([readTransfer(token, params.transferId), listBanks(token)]);
		return { transfer, banks, loadError: null };
	} catch (failure) {
		// Not a transfer id, no such transfer, or another bank's: the same answer for the reader.
		if (failure instanceof ProblemError && (failure.status === 404 || failure.status === 400)) {
			error(404, `There is no transfer ${params.transferId} that your bank sent or received.`);
		}
		return { transfer: null, banks: [] as BankTotal[], loadError: readFailure(failure, cookies, url) };
	}
};
