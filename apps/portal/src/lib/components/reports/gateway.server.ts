/**
 * The reporting API (`/api/reporting`) and the orders catalog API (`/api/orders`)
 * as the report pages read and write them, and one way to turn a failure into a
 * line on the page.
 */
import type { Cookies } from '@sveltejs/kit';
import { callGateway, GatewayError, GatewayUnreachable } from '#lib/server/gateway.ts';
import { problemMessage } from '#lib/server/problem.ts';
import { endSessionOn401 } from '#lib/server/session.ts';
import type { Alert, CacheStats, Category, Hour, PopularCategory, Today, TopMovie } from './types.ts';

const reporting = '/api/reporting';
const orders = '/api/orders';

export interface Dashboard {
	hours: Hour[];
	today: Today;
	topMovies: TopMovie[];
	categories: PopularCategory[];
}

/** Everything the dashboard shows, read at once. */
export async function readDashboard(token: string): Promise<Dashboard> {
	const get = <T>(path: string) => callGateway<T>(`${reporting}${path}`, { token }).then((reply) => reply.body);
	const [hourly, today, top, popular] = await Promise.all([
		get<{ items: Hour[] }>('/orders/hourly'),
		get<Today>('/orders/today'),
		get<{ items: TopMovie[] }>('/movies/top?limit=10'),
		get<{ items: PopularCategory[] }>('/categories/popular?by=quantity'),
	]);
	return { hours: hourly.items, today, topMovies: top.items, categories: popular.items };
}

export async function listAlerts(token: string): Promise<{ items: Alert[]; counts: Record<Alert['state'], number> }> {
	return (await callGateway<{ items: Alert[]; counts: Record<Alert['state'], number> }>(`${reporting}/alerts?state=all`, { token })).body;
}

export async function decideAlert(token: string, id: string, decision: string, note: string, idempotencyKey: string) {
	return callGateway<{ commandId: string; status: 'accepted' | 'applied' }>(`${reporting}/alerts/${encodeURIComponent(id)}/decisions`, {
		token,
		// Hold the reply until the decisions view has it, so the reloaded page shows it.
		headers: { prefer: 'wait=5', 'idempotency-key': idempotencyKey },
		body: { decision, note },
	});
}

export async function listCategories(token: string): Promise<Category[]> {
	return (await callGateway<{ items: Category[] }>(`${orders}/categories`, { token })).body.items;
}

export async function cacheStats(token: string): Promise<CacheStats> {
	return (await callGateway<CacheStats>(`${orders}/categories/cache/stats`, { token })).body;
}

type CategoryWrite = { commandId: string; status: 'accepted' | 'applied'; category: Category | null };

export async function createCategory(token: string, name: string, idempotencyKey: string) {
	return callGateway<CategoryWrite>(`${orders}/categories`, { token, headers: { 'idempotency-key': idempotencyKey }, body: { name } });
}

export async function renameCategory(token: string, id: number, name: string, idempotencyKey: string) {
	return callGateway<CategoryWrite>(`${orders}/categories/${id}`, { token, method: 'PATCH', headers: { 'idempotency-key': idempotencyKey }, body: { name } });
}

export async function deleteCategory(token: string, id: number, idempotencyKey: string) {
	return callGateway<CategoryWrite>(`${orders}/categories/${id}`, { token, method: 'DELETE', headers: { 'idempotency-key': idempotencyKey } });
}

/** A failed read as a message for the page; a refused token ends the session instead. */
export function readFailure(error: unknown, cookies: Cookies, url: URL): string {
	endSessionOn401(error, cookies, url);
	if (error instanceof GatewayError) return problemMessage(error.problem);
	if (error instanceof GatewayUnreachable) return error.message;
	throw error;
}

export { GatewayError, GatewayUnreachable };
