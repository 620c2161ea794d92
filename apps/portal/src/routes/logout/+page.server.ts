import { redirect } from '@sveltejs/kit';
import { clearToken } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';

// Signing out is a POST (the header's form); a GET here just goes home.
export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
	default: ({ cookies, url }) => {
		clearToken(cookies, url);
		redirect(303, '/login');
	},
};
