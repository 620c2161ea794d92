/**
 * The portal's only way to the gateway: JSON in, JSON out, and every non-2xx
 * answer turned into a GatewayError carrying the RFC 7807 problem.
 */
import { GATEWAY_URL } from '$app/env/private';
import { toProblem, type Problem } from './problem.ts';

export class GatewayError extends Error {
	readonly status: number;
	readonly problem: Problem;

	constructor(problem: Problem) {
		super(problem.detail ?? problem.title);
		this.name = 'GatewayError';
		this.status = problem.status;
		this.problem = problem;
	}
}

/** The gateway could not be reached at all (refused, DNS, reset). */
export class GatewayUnreachable extends Error {
	constructor(cause: unknown) {
		super(`The gateway at ${GATEWAY_URL} is not reachable`, { cause });
		this.name = 'GatewayUnreachable';
	}
}

export interface GatewayRequest {
	method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
	/** Sent as JSON. */
	body?: unknown;
	token?: string | undefined;
	headers?: Record<string, string>;
	signal?: AbortSignal;
}

export interface GatewayResponse<T> {
	status: number;
	body: T;
}

export function gatewayUrl(path: string): URL {
	return new URL(path, `${GATEWAY_URL}/`);
}

export async function callGateway<T>(path: string, request: GatewayRequest = {}): Promise<GatewayResponse<T>> {
	const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...request.headers };
	if (request.token) headers.authorization = `Bearer ${request.token}`;
	if (request.body !== undefined) headers['content-type'] = 'application/json';

	let response: Response;
	try {
		response = await fetch(gatewayUrl(path), {
			method: request.method ?? (request.body === undefined ? 'GET' : 'POST'),
			headers,
			body: request.body === undefined ? null : JSON.stringify(request.body),
			signal: request.signal ?? null,
		});
	} catch (error) {
		if (request.signal?.aborted) throw error;
		throw new GatewayUnreachable(error);
	}

	const body = await readBody(response);
	if (!response.ok) throw new GatewayError(toProblem(body, response.status, response.statusText));
	return { status: response.status, body: body as T };
}

async function readBody(response: Response): Promise<unknown> {
	const text = await response.text();
	if (text === '') return undefined;
	const type = response.headers.get('content-type') ?? '';
	if (type.includes('json')) {
		try {
			return JSON.parse(text);
		} catch {
			return text;
		}
	}
	return text;
}
