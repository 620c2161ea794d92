import { readDashboard, readFailure } from '#lib/components/reports/gateway.server.ts';
import { requireSignIn } from '#lib/server/session.ts';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url, cookies, depends }) => {
	// The page's live stream invalidates this key whenever a reporting view changes.
	depends('app:reports');
	const token = requireSignIn(locals, url);
	try {
		return { dashboard: await readDashboard(token), loadError: null };
	} catch (error) {
		return { dashboard: null, loadError: readFailure(error, cookies, url) };
	}
};
