/**
 * The signed-in session is the gateway's token in an httpOnly cookie: the
 * browser sends it back to the portal, never to scripts or to the gateway.
 */
import type { Cookies } from '@sveltejs/kit';
import { redirect } from '@sveltejs/kit';

export const TOKEN_COOKIE = 'eventloom_token';

export function saveToken(cookies: Cookies, url: URL, token: string, expiresAt: unknown): void {
	const expires = toDate(expiresAt);
	cookies.set(TOKEN_COOKIE, token, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure: url.protocol === 'https:',
		...(expires ? { expires } : {}),
	});
}

export function clearToken(cookies: Cookies, url: URL): void {
	cookies.delete(TOKEN_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:' });
}

/** Sends a signed-out visitor to the login page and back here afterwards. */
export function requireSignIn(locals: App.Locals, url: URL): string {
	if (!locals.token) redirect(303, loginUrl(url));
	return locals.token;
}

export function loginUrl(from: URL): string {
	return `/login?redirectTo=${encodeURIComponent(from.pathname + from.search)}`;
}

/** Only same-site paths, so the login form cannot be used as an open redirect. */
export function safeRedirect(target: string | null, fallback = '/'): string {
	// Browsers drop tabs and newlines and read `\` as `/`: `/\t/evil.example` is `//evil.example`.
	if (!target || target.length > 2000 || /[\u0000-\u001f\u007f\\]/.test(target)) return fallback;
	if (!target.startsWith('/') || target.startsWith('//')) return fallback;
	const base = 'http://portal.invalid';
	let url: URL;
	try {
		url = new URL(target, base);
	} catch {
		return fallback;
	}
	if (url.origin !== base) return fallback;
	return url.pathname + url.search + url.hash;
}

/** The gateway's `expiresAt`: an ISO date, or seconds or milliseconds since the epoch. */
function toDate(value: unknown): Date | undefined {
	if (typeof value === 'number' && Number.isFinite(value)) return new Date(value < 1e12 ? value * 1000 : value);
	if (typeof value === 'string') {
		const date = new Date(value);
		if (!Number.isNaN(date.getTime())) return date;
	}
	return undefined;
}

/**
 * When the gateway refuses the token (expired, revoked, signed with an old key),
 * the session is over: drop the cookie and ask the visitor to sign in again.
 */
export function endSessionOn401(error: unknown, cookies: Cookies, url: URL): void {
	if (typeof error === 'object' && error !== null && 'status' in error && error.status === 401) {
		clearToken(cookies, url);
		redirect(303, loginUrl(url));
	}
}
