/**
 * Opens the gateway's Server-Sent Events stream of view changes for a user, and
 * passes such a stream on to the browser.
 */
import { gateway, GatewayUnreachable, ProblemError, streamBody } from './gateway.ts';

export type LiveStream =
	| { ok: true; body: ReadableStream<Uint8Array> }
	| { ok: false; status: number; title: string; detail: string };

const encoder = new TextEncoder();

export async function openLiveStream(contexts: string, token: string, signal: AbortSignal): Promise<LiveStream> {
	try {
		// The gateway also takes the token in the query, for EventSource clients; the client sends the header.
		const body = await streamBody(gateway(token), '/api/live', { query: { contexts }, signal });
		return { ok: true, body: withOpeningComment(body) };
	} catch (error) {
		if (error instanceof GatewayUnreachable) return { ok: false, status: 502, title: 'Gateway unreachable', detail: 'The live stream could not be opened.' };
		if (!(error instanceof ProblemError)) throw error;
		return {
			ok: false,
			status: error.status === 401 ? 401 : 502,
			title: error.status === 401 ? 'Not signed in' : 'Live stream unavailable',
			detail: `The gateway answered ${error.status} for its live stream.`,
		};
	}
}

/** Passes a gateway stream on to the browser as server-sent events, unbuffered on the way. */
export function eventStreamResponse(body: ReadableStream<Uint8Array>): Response {
	return new Response(body, {
		headers: {
			'content-type': 'text/event-stream; charset=utf-8',
			'cache-control': 'no-cache, no-transform',
			'x-accel-buffering': 'no',
		},
	});
}

/**
 * Starts the stream with an SSE comment so the browser sees the connection open
 * at once, even if the gateway says nothing until the first change.
 */
function withOpeningComment(upstream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
	const reader = upstream.getReader();
	return new ReadableStream<Uint8Array>({
		start(controller) {
			controller.enqueue(encoder.encode(': connected\n\n'));
		},
		async pull(controller) {
			try {
				const { done, value } = await reader.read();
				if (done) controller.close();
				else controller.enqueue(value);
			} catch (error) {
				controller.error(error);
			}
		},
		cancel(reason) {
			return reader.cancel(reason);
		},
	});
}
