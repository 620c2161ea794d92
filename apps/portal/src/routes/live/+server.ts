/**
 * Proxies the gateway's view-change stream to the browser, authenticated with
 * the session cookie, so the token never reaches page scripts or the URL bar.
 */
import { eventStreamResponse, openLiveStream } from '#lib/server/live.ts';
import { problemResponse } from '#lib/server/problem.ts';
import type { RequestHandler } from './$types';

const contextList = /^[a-z0-9]+(,[a-z0-9]+)*$/;

export const GET: RequestHandler = async ({ locals, url, request }) => {
	if (!locals.token) return problemResponse(401, 'Not signed in', 'Sign in to receive live updates.');

	const contexts = url.searchParams.get('contexts') ?? '';
	if (!contextList.test(contexts)) {
		return problemResponse(400, 'Invalid contexts', 'contexts is a comma-separated list of context names.');
	}

	const upstream = await openLiveStream(contexts, locals.token, request.signal);
	if (!upstream.ok) return problemResponse(upstream.status, upstream.title, upstream.detail);

	return eventStreamResponse(upstream.body);
};
