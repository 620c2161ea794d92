/**
 * Proxies the gateway's admin stream (rebuild progress, projection figures) to the
 * admin page, authenticated with the session cookie: the token never reaches scripts.
 */
import { gatewayUrl } from '#lib/server/gateway.ts';
import { eventStreamResponse } from '#lib/server/live.ts';
import { problemResponse } from '#lib/server/problem.ts';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ locals, request }) => {
	if (!locals.token) return problemResponse(401, 'Not signed in', 'Sign in to follow rebuilds.');
	if (locals.principal?.role !== 'admin') return problemResponse(403, 'Admins only', 'Rebuild progress is shown to admins only.');

	let upstream: Response;
	try {
		upstream = await fetch(gatewayUrl('/api/admin/live'), {
			headers: { accept: 'text/event-stream', authorization: `Bearer ${locals.token}` },
			signal: request.signal,
		});
	} catch {
		return problemResponse(502, 'Gateway unreachable', 'The admin stream could not be opened.');
	}
	if (!upstream.ok || !upstream.body) {
		await upstream.body?.cancel();
		const status = upstream.status === 401 || upstream.status === 403 ? upstream.status : 502;
		return problemResponse(status, 'Admin stream unavailable', `The gateway answered ${upstream.status} for its admin stream.`);
	}
	return eventStreamResponse(upstream.body);
};
