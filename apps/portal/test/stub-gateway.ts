/**
 * A stand-in for the gateway's counter contract, for looking at the portal and
 * running its browser test before (or without) the real runtime: in memory,
 * unsigned tokens, two accounts. Not a model of the gateway's internals.
 *
 *   node apps/portal/test/stub-gateway.ts            # listens on 127.0.0.1:8787
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

export const stubAccounts = [
	{ username: 'owner.republic', password: 'stub-owner', role: 'owner', name: 'Republic Bank owner', bank: 'Republic Bank' },
	{ username: 'admin', password: 'stub-admin', role: 'admin', name: 'Administrator' },
] as const;

interface Counter {
	id: string;
	value: number;
	updatedAt: string;
}

export interface StubGateway {
	url: string;
	close: () => Promise<void>;
}

export async function startStubGateway(port = 0, host = '127.0.0.1'): Promise<StubGateway> {
	const counters = new Map<string, Counter>([
		['alpha', { id: 'alpha', value: 3, updatedAt: new Date().toISOString() }],
		['beta', { id: 'beta', value: 41, updatedAt: new Date().toISOString() }],
	]);
	const listeners = new Set<ServerResponse>();
	let seq = 0;

	const server: Server = createServer(async (req, res) => {
		const url = new URL(req.url ?? '/', 'http://stub');
		try {
			if (req.method === 'POST' && url.pathname === '/auth/token') {
				const { username, password } = (await readJson(req)) as { username?: string; password?: string };
				const account = stubAccounts.find((a) => a.username === username && a.password === password);
				if (!account) return problem(res, 401, 'Unauthorized', 'Wrong username or password.');
				const exp = Math.floor(Date.now() / 1000) + 3600;
				const { password: _, username: sub, ...claims } = account;
				return json(res, 200, { token: unsignedJwt({ sub, ...claims, exp }), expiresAt: new Date(exp * 1000).toISOString(), principal: { sub, ...claims } });
			}

			const token = bearer(req) ?? url.searchParams.get('access_token');
			if (url.pathname.startsWith('/api/') && !token) return problem(res, 401, 'Unauthorized', 'A bearer token is required.');

			if (req.method === 'GET' && url.pathname === '/api/counter/counters') {
				return json(res, 200, { items: [...counters.values()] });
			}

			const increment = /^\/api\/counter\/counters\/([^/]+)\/increment$/.exec(url.pathname);
			if (req.method === 'POST' && increment?.[1]) {
				const id = decodeURIComponent(increment[1]);
				const { by } = (await readJson(req)) as { by?: unknown };
				if (typeof by !== 'number' || !Number.isInteger(by) || by < 1 || by > 1000) {
					return problem(res, 400, 'Invalid command', 'The command did not pass validation.', {
						by: ['Must be a whole number from 1 to 1000'],
					});
				}
				const commandId = randomUUID();
				const counter = counters.get(id) ?? { id, value: 0, updatedAt: '' };
				counter.value += by;
				counter.updatedAt = new Date().toISOString();
				counters.set(id, counter);
				const change = { context: 'counter', projection: 'counters', seq: ++seq, streams: [`counter-${id}`], eventIds: [randomUUID()] };
				for (const listener of listeners) listener.write(`event: view\ndata: ${JSON.stringify(change)}\n\n`);
				const statusUrl = `/api/counter/commands/${commandId}`;
				const wait = /wait=\d+/.test(String(req.headers.prefer ?? ''));
				return json(res, wait ? 200 : 202, { commandId, status: wait ? 'applied' : 'accepted', statusUrl, duplicate: false, events: [] });
			}

			if (req.method === 'GET' && url.pathname === '/api/live') {
				res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
				res.write(`event: ready\ndata: ${JSON.stringify({ contexts: (url.searchParams.get('contexts') ?? '').split(',') })}\n\n`);
				listeners.add(res);
				req.on('close', () => listeners.delete(res));
				return;
			}

			problem(res, 404, 'Not Found', `${req.method} ${url.pathname} is not a route of the stub.`);
		} catch (error) {
			problem(res, 500, 'Stub failure', String(error));
		}
	});

	await new Promise<void>((resolve) => server.listen(port, host, resolve));
	const address = server.address();
	const actualPort = typeof address === 'object' && address ? address.port : port;
	return {
		url: `http://${host}:${actualPort}`,
		close: () =>
			new Promise<void>((resolve) => {
				for (const listener of listeners) listener.end();
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

function unsignedJwt(payload: object): string {
	const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
	return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.stub`;
}

function bearer(req: IncomingMessage): string | undefined {
	const header = req.headers.authorization;
	return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
	let body = '';
	for await (const chunk of req) body += chunk;
	return body ? JSON.parse(body) : {};
}

function json(res: ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, title: string, detail: string, errors?: Record<string, string[]>): void {
	res
		.writeHead(status, { 'content-type': 'application/problem+json' })
		.end(JSON.stringify({ type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) }));
}

if (import.meta.main) {
	const gateway = await startStubGateway(Number(process.env.STUB_GATEWAY_PORT ?? 8787));
	process.stdout.write(`stub gateway on ${gateway.url}; accounts: ${stubAccounts.map((a) => `${a.username}/${a.password}`).join(', ')}\n`);
}
