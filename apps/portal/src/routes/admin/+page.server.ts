import { error, fail } from '@sveltejs/kit';
import { body, gateway, GatewayUnreachable, ProblemError } from '#lib/server/gateway.ts';
import { problemMessage } from '#lib/server/problem.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { DeadLetter, Overview, Rebuild } from '#lib/components/admin/types.ts';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

const admins = 'The admin page is for admins: it rebuilds views and handles failed events for every context.';

export const load: PageServerLoad = async ({ locals, url, cookies, depends }) => {
	depends('app:admin');
	const token = requireSignIn(locals, url);
	if (locals.principal?.role !== 'admin') {
		error(403, `${admins} You are signed in as ${locals.principal?.sub ?? 'someone'} (${locals.principal?.role ?? 'no role'}).`);
	}
	try {
		const { api } = gateway(token);
		const [overview, letters] = await Promise.all([body(api.GET('/api/admin/projections')), body(api.GET('/api/admin/dead-letters'))]);
		return { overview, deadLetters: letters.items, loadError: null };
	} catch (failure) {
		endSessionOn401(failure, cookies, url);
		if (failure instanceof ProblemError && failure.status === 403) error(403, `${admins} ${problemMessage(failure.problem)}`);
		if (failure instanceof ProblemError || failure instanceof GatewayUnreachable) {
			return { overview: { at: new Date().toISOString(), contexts: [] } as Overview, deadLetters: [] as DeadLetter[], loadError: failure.message };
		}
		throw failure;
	}
};

/** A name as the gateway takes it in a path: letters and digits only. */
const name = (form: FormData, field: string): string | undefined => {
	const value = String(form.get(field) ?? '').trim();
	return /^[A-Za-z][A-Za-z0-9]{0,62}$/.test(value) ? value : undefined;
};

/** Runs an admin call for a form; a refusal comes back as the problem's sentence. */
async function adminCall<T>(event: RequestEvent, run: (token: string, form: FormData) => Promise<{ message: string; result?: T }>) {
	const token = requireSignIn(event.locals, event.url);
	const form = await event.request.formData();
	try {
		return await run(token, form);
	} catch (failure) {
		endSessionOn401(failure, event.cookies, event.url);
		if (failure instanceof ProblemError) return fail(failure.status, { message: problemMessage(failure.problem) });
		if (failure instanceof GatewayUnreachable) return fail(503, { message: failure.message });
		throw failure;
	}
}

const describe = (rebuilds: Rebuild[]) => rebuilds.map((r) => `${r.context}/${r.projection}`).join(', ');

export const actions: Actions = {
	rebuild: (event) =>
		adminCall(event, async (token, form) => {
			const context = name(form, 'context');
			const projection = name(form, 'projection');
			const { rebuilds } = await body(gateway(token).api.POST('/api/admin/rebuilds', { body: { ...(context ? { context } : {}), ...(projection ? { projection } : {}) } }));
			return { message: `Rebuild requested: ${describe(rebuilds)}. Readers keep the current view until the new one is swapped in.`, result: rebuilds };
		}),
	cancel: (event) =>
		adminCall(event, async (token, form) => {
			const context = name(form, 'context');
			const projection = name(form, 'projection');
			if (!context || !projection) return { message: 'Name the context and projection to cancel.' };
			await body(gateway(token).api.DELETE('/api/admin/rebuilds/{context}/{projection}', { params: { path: { context, projection } } }));
			return { message: `Cancelling the rebuild of ${context}/${projection}; the current view stays.` };
		}),
	retry: (event) => resolveLetter(event, 'retry'),
	skip: (event) => resolveLetter(event, 'skip'),
};

function resolveLetter(event: RequestEvent, action: 'retry' | 'skip') {
	return adminCall(event, async (token, form) => {
		const context = name(form, 'context');
		const projection = name(form, 'projection');
		const seq = Number(form.get('seq'));
		if (!context || !projection || !Number.isInteger(seq) || seq < 1) return { message: 'That dead letter is not one the gateway knows.' };
		const path = { context, projection, seq };
		const { api } = gateway(token);
		const letter = await body(
			action === 'retry'
				? api.POST('/api/admin/dead-letters/{context}/{projection}/{seq}/retry', { params: { path } })
				: api.POST('/api/admin/dead-letters/{context}/{projection}/{seq}/skip', { params: { path } }),
		);
		return {
			message:
				action === 'retry'
					? `Retry requested for ${letter.type} at ${context}/${projection} seq ${seq}; the projection applies it again.`
					: `Skipped ${letter.type} at ${context}/${projection} seq ${seq}; it stays out of the view.`,
		};
	});
}
