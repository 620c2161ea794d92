/**
 * Proxies the gateway's admin stream (rebuild progress, projection figures) to the
 * admin page, authenticated with the session cookie: the token never reaches scripts.
 */
import { gateway, GatewayUnreachable, ProblemError, streamBody } from '#lib/server/gateway.ts';
import { eventStreamResponse } from '#lib/server/live.ts';
import { problemResponse } from '#lib/server/problem.ts';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ locals, request }) => {
	if (!locals.token) return problemResponse(401, 'Not signed in', 'Sign in to follow rebuilds.');
	if (locals.principal?.role !== 'admin') return problemResponse(403, 'Admins only', 'Rebuild progress is shown to admins only.');

	try {
		return eventStreamResponse(await streamBody(gateway(locals.token), '/api/admin/live', { signal: request.signal }));
	} catch (error) {
		if (error instanceof GatewayUnreachable) return problemResponse(502, 'Gateway unreachable', 'The admin stream could not be opened.');
		if (!(error instanceof ProblemError)) throw error;
		const status = error.status === 401 || error.status === 403 ? error.status : 502;
		return problemResponse(status, 'Admin stream unavailable', `The gateway answered ${error.status} for its admin stream.`);
	}
};
