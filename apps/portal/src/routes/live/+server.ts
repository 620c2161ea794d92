/**
 * Proxies the gateway's view-change stream to the browser, authenticated with
 * the session cookie, so the token never reaches page scripts or the URL bar.
 */
import { openLiveStream } from '#lib/server/live.ts';
import type { RequestHandler } from './$types';

const contextList = /^[a-z0-9]+(,[a-z0-9]+)*$/;

export const GET: RequestHandler = async ({ locals, url, request }) => {
	if (!locals.token) return problem(401, 'Not signed in', 'Sign in to receive live updates.');

	const contexts = url.searchParams.get('contexts') ?? '';
	if (!contextList.test(contexts)) {
		return problem(400, 'Invalid contexts', 'contexts is a comma-separated list of context names.');
	}

	const upstream = await openLiveStream(contexts, locals.token, request.signal);
	if (!upstream.ok) return problem(upstream.status, upstream.title, upstream.detail);

	return new Response(upstream.body, {
		headers: {
			'content-type': 'text/event-stream; charset=utf-8',
			'cache-control': 'no-cache, no-transform',
			'x-accel-buffering': 'no',
		},
	});
};

function problem(status: number, title: string, detail: string): Response {
	return Response.json({ type: 'about:blank', title, status, detail }, {
		status,
		headers: { 'content-type': 'application/problem+json' },
	});
}
