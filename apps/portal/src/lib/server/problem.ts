/**
 * RFC 7807 problem details as the gateway sends them, and the mapping of their
 * field errors onto form fields.
 */
export interface Problem {
	type: string;
	title: string;
	status: number;
	detail?: string;
	/** Field name → messages, for validation failures. */
	errors?: Record<string, string[]>;
}

export type FieldErrors = Record<string, string[]>;

/** Reads an unknown JSON body as a problem; fills what is missing from the HTTP status. */
export function toProblem(body: unknown, status: number, statusText = ''): Problem {
	const source = isRecord(body) ? body : {};
	const problem: Problem = {
		type: typeof source.type === 'string' ? source.type : 'about:blank',
		title: typeof source.title === 'string' ? source.title : statusText || `HTTP ${status}`,
		status: typeof source.status === 'number' ? source.status : status,
	};
	if (typeof source.detail === 'string') problem.detail = source.detail;
	const errors = toFieldErrors(source.errors);
	if (Object.keys(errors).length > 0) problem.errors = errors;
	return problem;
}

/**
 * Normalises the `errors` member of a problem into field → messages. Accepts the
 * documented shape (`{ by: ['…'] }`), a single string per field, and the nested
 * paths zod produces (`{ 'payload.by': … }` stays keyed by its dotted path).
 * Anything else is dropped rather than shown as "[object Object]".
 */
export function toFieldErrors(errors: unknown): FieldErrors {
	if (!isRecord(errors)) return {};
	const fields: FieldErrors = {};
	for (const [field, value] of Object.entries(errors)) {
		const messages = (Array.isArray(value) ? value : [value]).filter(
			(message): message is string => typeof message === 'string' && message.length > 0,
		);
		if (messages.length > 0) fields[field] = messages;
	}
	return fields;
}

/** This server's own answer as a problem, for endpoints that answer with no page. */
export function problemResponse(status: number, title: string, detail: string): Response {
	return Response.json({ type: 'about:blank', title, status, detail }, { status, headers: { 'content-type': 'application/problem+json' } });
}

/** One line a person can read: the detail when there is one, else the title. */
export function problemMessage(problem: Problem): string {
	return problem.detail ?? problem.title;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
