import { error } from '@sveltejs/kit';
import { ProblemError, readEvent, readFailure } from '#lib/components/banking/gateway.server.ts';
import { requireSignIn } from '#lib/server/session.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, cookies, params }) => {
	const token = requireSignIn(locals, url);
	try {
		return { detail: await readEvent(token, params.eventId), loadError: null };
	} catch (failure) {
		// Not an event id, or no such event: the same answer for the reader.
		if (failure instanceof ProblemError && (failure.status === 404 || failure.status === 400)) {
			error(404, `No banking event ${params.eventId}.`);
		}
		return { detail: null, loadError: readFailure(failure, cookies, url) };
	}
};
