/**
 * RFC 7807 problem details: the gateway's (read by @eventloom/client) and this
 * server's own answers when it has no page to show.
 */
export { toFieldErrors, toProblem, type FieldErrors, type Problem } from '@eventloom/client';
import type { Problem } from '@eventloom/client';

/** This server's own answer as a problem, for endpoints that answer with no page. */
export function problemResponse(status: number, title: string, detail: string): Response {
	return Response.json({ type: 'about:blank', title, status, detail }, { status, headers: { 'content-type': 'application/problem+json' } });
}

/** One line a person can read: the detail when there is one, else the title. */
export function problemMessage(problem: Problem): string {
	return problem.detail ?? problem.title;
}
