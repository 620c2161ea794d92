import { error, type Cookies } from '@sveltejs/kit';
import { ProblemError, readEvent, readFailure, readJourney } from '#lib/components/banking/gateway.server.ts';
import { requireSignIn } from '#lib/server/session.ts';
import type { PageServerLoad } from './$types';

/** Whatever went wrong with the journey, the page shows the event and says so in a line. */
function journeyFailure(failure: unknown, cookies: Cookies, url: URL): string {
	try {
		return readFailure(failure, cookies, url);
	} catch {
		return 'the gateway gave an answer the portal did not expect.';
	}
}

export const load: PageServerLoad = async ({ locals, url, cookies, params }) => {
	const token = requireSignIn(locals, url);
	// Asked at once: the journey's records are read beside the event, and its failure only costs the timeline.
	const journey = readJourney(token, params.eventId).then(
		(value) => ({ value, error: null }),
		(failure: unknown) => ({ value: null, error: `The journey could not be read: ${journeyFailure(failure, cookies, url)}` }),
	);
	try {
		const detail = await readEvent(token, params.eventId);
		const { value, error: journeyError } = await journey;
		return { detail, loadError: null, journey: value, journeyError };
	} catch (failure) {
		await journey.catch(() => undefined);
		// Not an event id, or no such event: the same answer for the reader.
		if (failure instanceof ProblemError && (failure.status === 404 || failure.status === 400)) {
			error(404, `No banking event ${params.eventId}.`);
		}
		return { detail: null, loadError: readFailure(failure, cookies, url), journey: null, journeyError: null };
	}
};
