import type { Handle } from '@sveltejs/kit/hooks';
import { principalFromToken } from '#lib/server/jwt.ts';
import { clearToken, TOKEN_COOKIE } from '#lib/server/session.ts';

export const handle: Handle = async ({ event, resolve }) => {
	const token = event.cookies.get(TOKEN_COOKIE);
	if (token) {
		const principal = principalFromToken(token);
		if (principal) {
			event.locals.token = token;
			event.locals.principal = principal;
		} else {
			// Expired or unreadable: forget it so the visitor is plainly signed out.
			clearToken(event.cookies, event.url);
		}
	}
	return resolve(event);
};
