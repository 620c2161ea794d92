/**
 * Reads the claims of the gateway's token without verifying it. The portal only
 * uses them to show who is signed in and to route; the gateway verifies the
 * signature on every call, so a forged cookie gets nothing but a 401.
 */
export type Role = 'owner' | 'admin' | 'consumer';

export interface Principal {
	sub: string;
	role: Role;
	bank?: string;
	name?: string;
	/** Expiry, seconds since the epoch, when the token carries one. */
	exp?: number;
}

const roles: readonly string[] = ['owner', 'admin', 'consumer'];

/** The payload of a compact JWS as an object, or null when it is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> | null {
	const parts = token.split('.');
	if (parts.length !== 3 || !parts[1]) return null;
	try {
		const json = Buffer.from(parts[1], 'base64url').toString('utf8');
		const payload: unknown = JSON.parse(json);
		return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
			? (payload as Record<string, unknown>)
			: null;
	} catch {
		return null;
	}
}

/** The principal a token names, or null when it is malformed or expired at `now`. */
export function principalFromToken(token: string, now = Date.now()): Principal | null {
	const payload = decodeJwtPayload(token);
	if (!payload) return null;
	const { sub, role, bank, name, exp } = payload;
	if (typeof sub !== 'string' || sub === '') return null;
	if (typeof role !== 'string' || !roles.includes(role)) return null;
	if (typeof exp === 'number' && exp * 1000 <= now) return null;

	const principal: Principal = { sub, role: role as Role };
	if (typeof bank === 'string') principal.bank = bank;
	if (typeof name === 'string') principal.name = name;
	if (typeof exp === 'number') principal.exp = exp;
	return principal;
}
