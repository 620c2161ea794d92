import { randomUUID } from 'node:crypto';
import { error as httpError, fail } from '@sveltejs/kit';
import {
	cacheStats,
	createCategory,
	deleteCategory,
	ProblemError,
	GatewayUnreachable,
	listCategories,
	readFailure,
	renameCategory,
} from '#lib/components/reports/gateway.server.ts';
import type { CacheStats, Category } from '#lib/components/reports/types.ts';
import { problemMessage, type FieldErrors } from '#lib/server/problem.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

export const load: PageServerLoad = async ({ locals, url, cookies, depends }) => {
	// The live stream invalidates this key when a category event reaches the catalog view.
	depends('app:categories');
	const token = requireSignIn(locals, url);
	if (locals.principal?.role !== 'admin') httpError(403, 'Categories are managed by admins.');
	try {
		// Stats after the list, so they count the read this page just made.
		const categories = await listCategories(token);
		const stats = await cacheStats(token);
		return {
			categories: [...categories].sort((a, b) => a.name.localeCompare(b.name)),
			stats,
			submissionKey: randomUUID(),
			loadError: null,
		};
	} catch (error) {
		return { categories: [] as Category[], stats: null as CacheStats | null, submissionKey: randomUUID(), loadError: readFailure(error, cookies, url) };
	}
};

type Action = 'create' | 'rename' | 'delete';

/** Runs one category write; a refusal comes back with the form's values and the gateway's words. */
async function write(event: RequestEvent, action: Action, run: (token: string, form: FormData, key: string) => Promise<{ category?: Category | null }>) {
	const token = requireSignIn(event.locals, event.url);
	const form = await event.request.formData();
	const id = String(form.get('id') ?? '');
	const name = String(form.get('name') ?? '');
	const key = `${String(form.get('key') ?? '') || randomUUID()}-${action}-${id}`;
	try {
		const reply = await run(token, form, key);
		return { done: { action, id, name: reply.category?.name ?? name } };
	} catch (error) {
		endSessionOn401(error, event.cookies, event.url);
		if (error instanceof ProblemError) {
			return fail(error.status, { action, id, name, errors: (error.problem.errors ?? {}) as FieldErrors, message: problemMessage(error.problem) });
		}
		if (error instanceof GatewayUnreachable) return fail(503, { action, id, name, errors: {} as FieldErrors, message: error.message });
		throw error;
	}
}

export const actions: Actions = {
	create: (event) => write(event, 'create', (token, form, key) => createCategory(token, String(form.get('name') ?? ''), key)),
	rename: (event) => write(event, 'rename', (token, form, key) => renameCategory(token, Number(form.get('id')), String(form.get('name') ?? ''), key)),
	delete: (event) => write(event, 'delete', (token, form, key) => deleteCategory(token, Number(form.get('id')), key)),
};
