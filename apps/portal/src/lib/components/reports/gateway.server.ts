/**
 * The reporting API (`/api/reporting`) and the orders catalog API (`/api/orders`)
 * as the report pages read and write them, and one way to turn a failure into a
 * line on the page.
 */
import type { Cookies } from '@sveltejs/kit';
import type { components } from '@eventloom/client';
import { body, command, gateway, GatewayUnreachable, ProblemError } from '#lib/server/gateway.ts';
import { problemMessage } from '#lib/server/problem.ts';
import { endSessionOn401 } from '#lib/server/session.ts';
import type { Alert, CacheStats, Category, Hour, PopularCategory, Today, TopMovie } from './types.ts';

export interface Dashboard {
	hours: Hour[];
	today: Today;
	topMovies: TopMovie[];
	categories: PopularCategory[];
}

/** Everything the dashboard shows, read at once. */
export async function readDashboard(token: string): Promise<Dashboard> {
	const { api } = gateway(token);
	const [hourly, today, top, popular] = await Promise.all([
		body(api.GET('/api/reporting/orders/hourly')),
		body(api.GET('/api/reporting/orders/today')),
		body(api.GET('/api/reporting/movies/top', { params: { query: { limit: 10 } } })),
		body(api.GET('/api/reporting/categories/popular', { params: { query: { by: 'quantity' } } })),
	]);
	return { hours: hourly.items, today, topMovies: top.items, categories: popular.items };
}

export async function listAlerts(token: string): Promise<{ items: Alert[]; counts: Record<Alert['state'], number> }> {
	const { items, counts } = await body(gateway(token).api.GET('/api/reporting/alerts', { params: { query: { state: 'all' } } }));
	return { items, counts: { open: counts.open ?? 0, investigated: counts.investigated ?? 0, dismissed: counts.dismissed ?? 0 } };
}

type Decision = components['schemas']['AlertDecision'];

/** `freeze`: with `investigated`, banking freezes the account that received the deposit. */
export async function decideAlert(token: string, id: string, decision: Decision['decision'], note: string, idempotencyKey: string, freeze = false) {
	return body(
		gateway(token).api.POST('/api/reporting/alerts/{id}/decisions', {
			// Hold the reply until the decisions view has it, so the reloaded page shows it.
			params: { path: { id }, header: command({ wait: 5, idempotencyKey }) },
			body: { decision, note, ...(freeze ? { freezeReceivingAccount: true } : {}) },
		}),
	);
}

export async function listCategories(token: string): Promise<Category[]> {
	return (await body(gateway(token).api.GET('/api/orders/categories'))).items;
}

export async function cacheStats(token: string): Promise<CacheStats> {
	return body(gateway(token).api.GET('/api/orders/categories/cache/stats'));
}

export async function createCategory(token: string, name: string, idempotencyKey: string) {
	return body(gateway(token).api.POST('/api/orders/categories', { params: { header: command({ idempotencyKey }) }, body: { name } }));
}

export async function renameCategory(token: string, id: number, name: string, idempotencyKey: string) {
	return body(gateway(token).api.PATCH('/api/orders/categories/{id}', { params: { path: { id }, header: command({ idempotencyKey }) }, body: { name } }));
}

export async function deleteCategory(token: string, id: number, idempotencyKey: string) {
	return body(gateway(token).api.DELETE('/api/orders/categories/{id}', { params: { path: { id }, header: command({ idempotencyKey }) } }));
}

/** A failed read as a message for the page; a refused token ends the session instead. */
export function readFailure(error: unknown, cookies: Cookies, url: URL): string {
	endSessionOn401(error, cookies, url);
	if (error instanceof ProblemError) return problemMessage(error.problem);
	if (error instanceof GatewayUnreachable) return error.message;
	throw error;
}

export { GatewayUnreachable, ProblemError };
