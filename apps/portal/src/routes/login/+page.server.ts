import { fail, redirect } from '@sveltejs/kit';
import { body, gateway, GatewayUnreachable, ProblemError } from '#lib/server/gateway.ts';
import { problemMessage, type FieldErrors } from '#lib/server/problem.ts';
import { safeRedirect, saveToken } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	if (locals.principal) redirect(303, safeRedirect(url.searchParams.get('redirectTo'), '/banking'));
	return {};
};

export const actions: Actions = {
	default: async ({ request, cookies, url, getClientAddress }) => {
		const form = await request.formData();
		const username = String(form.get('username') ?? '').trim();
		const password = String(form.get('password') ?? '');

		const errors: FieldErrors = {};
		if (!username) errors.username = ['Enter your username'];
		if (!password) errors.password = ['Enter your password'];
		if (Object.keys(errors).length > 0) return rejected(400, username, errors, null);

		try {
			// The gateway limits failed sign-ins per address: it is the browser's, not the portal's.
			const issued = await body(gateway().api.POST('/auth/token', { body: { username, password }, headers: { 'x-forwarded-for': clientAddressOf(getClientAddress) } }));
			saveToken(cookies, url, issued.token, issued.expiresAt);
		} catch (error) {
			if (error instanceof ProblemError) {
				const status = error.status >= 500 ? 502 : error.status;
				return rejected(status, username, error.problem.errors ?? {}, problemMessage(error.problem));
			}
			if (error instanceof GatewayUnreachable) {
				return rejected(503, username, {}, 'The gateway is not reachable. Try again in a moment.');
			}
			throw error;
		}

		redirect(303, safeRedirect(url.searchParams.get('redirectTo'), '/banking'));
	},
};

/** One shape for every refusal, so the form reads `errors` and `message` alike. */
function rejected(status: number, username: string, errors: FieldErrors, message: string | null) {
	return fail(status, { username, errors, message });
}

function clientAddressOf(getClientAddress: () => string): string {
	try {
		return getClientAddress();
	} catch {
		return 'unknown';
	}
}
