import { fail } from '@sveltejs/kit';
import { body, command, gateway, GatewayUnreachable, ProblemError } from '#lib/server/gateway.ts';
import { problemMessage, type FieldErrors } from '#lib/server/problem.ts';
import { endSessionOn401, requireSignIn } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';

export interface Counter {
	id: string;
	value: number;
	updatedAt: string;
}

export const load: PageServerLoad = async ({ locals, url, cookies, depends }) => {
	// The page's live stream invalidates this key on every view change.
	depends('app:counters');
	const token = requireSignIn(locals, url);
	try {
		const { items } = await body(gateway(token).api.GET('/api/counter/counters'));
		const counters: Counter[] = [...items].sort((a, b) => a.id.localeCompare(b.id));
		return { counters, loadError: null };
	} catch (error) {
		endSessionOn401(error, cookies, url);
		if (error instanceof ProblemError || error instanceof GatewayUnreachable) {
			return { counters: [] as Counter[], loadError: error.message };
		}
		throw error;
	}
};

export const actions: Actions = {
	increment: async ({ request, locals, url, cookies }) => {
		const token = requireSignIn(locals, url);
		const form = await request.formData();
		const id = String(form.get('id') ?? '').trim();
		const by = String(form.get('by') ?? '').trim();

		if (!id) return rejected(400, id, by, { id: ['Enter the id of a counter'] }, null);

		try {
			const reply = await body(
				gateway(token).api.POST('/api/counter/counters/{id}/increment', {
					// Hold the reply until our views show the change (read-your-writes).
					params: { path: { id }, header: command({ wait: 5 }) },
					// What is not a number goes as typed: the gateway's 400 names the field for the form.
					body: { by: toNumberIfNumeric(by) as number },
				}),
			);
			return {
				id,
				by,
				result: {
					id,
					by: Number(by),
					commandId: reply.commandId,
					status: reply.status,
					value: typeof reply.value === 'number' ? reply.value : null,
				},
			};
		} catch (error) {
			endSessionOn401(error, cookies, url);
			if (error instanceof ProblemError) {
				return rejected(error.status, id, by, error.problem.errors ?? {}, problemMessage(error.problem));
			}
			if (error instanceof GatewayUnreachable) {
				return rejected(503, id, by, {}, error.message);
			}
			throw error;
		}
	},
};

function rejected(status: number, id: string, by: string, errors: FieldErrors, message: string | null) {
	return fail(status, { id, by, errors, message });
}

/**
 * The gateway owns validation: pass what was typed, as a number when it is one,
 * so "2.5", "" or "ten" reach it and come back as its own field error.
 */
function toNumberIfNumeric(value: string): number | string | null {
	if (value === '') return null;
	const number = Number(value);
	return Number.isFinite(number) ? number : value;
}
