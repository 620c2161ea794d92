/**
 * Proxies the gateway's admin stream (rebuild progress, projection figures) to the
 * admin page, authenticated with the session cookie: the token never reaches scripts.
 */
import { gatewayUrl } from '#lib/server/gateway.ts';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ locals, request }) => {
	if (!locals.token) return problem(401, 'Not signed in', 'Sign in to follow rebuilds.');
	if (locals.principal?.role !== 'admin') return problem(403, 'Admins only', 'Rebuild progress is shown to admins only.');

	let upstream: Response;
	try {
		upstream = await fetch(gatewayUrl('/api/admin/live'), {
			headers: { accept: 'text/event-stream', authorization: `Bearer ${locals.token}` },
			signal: request.signal,
		});
	} catch {
		return problem(502, 'Gateway unreachable', 'The admin stream could not be opened.');
	}
	if (!upstream.ok || !upstream.body) {
		await upstream.body?.cancel();
		const status = upstream.status === 401 || upstream.status === 403 ? upstream.status : 502;
		return problem(status, 'Admin stream unavailable', `The gateway answered ${upstream.status} for its admin stream.`);
	}
	return new Response(upstream.body, {
		headers: {
			'content-type': 'text/event-stream; charset=utf-8',
			'cache-control': 'no-cache, no-transform',
			'x-accel-buffering': 'no',
		},
	});
};

function problem(status: number, title: string, detail: string): Response {
	return Response.json({ type: 'about:blank', title, status, detail }, { status, headers: { 'content-type': 'application/problem+json' } });
}
