import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => {
	const principal = locals.principal;
	// Only what the header shows goes to the browser; the token stays on the server.
	return {
		principal: principal
			? { sub: principal.sub, role: principal.role, name: principal.name ?? principal.sub, bank: principal.bank ?? null }
			: null,
	};
};
