import { describe, expect, it } from 'vitest';
import { decodeJwtPayload, principalFromToken } from './jwt.ts';

function token(payload: unknown, header: unknown = { alg: 'HS256', typ: 'JWT' }): string {
	const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
	return `${part(header)}.${part(payload)}.c2lnbmF0dXJl`;
}

const now = Date.parse('2026-01-01T00:00:00Z');
const inAnHour = now / 1000 + 3600;

describe('decodeJwtPayload', () => {
	it('decodes the base64url payload, including characters outside ASCII', () => {
		expect(decodeJwtPayload(token({ sub: 'ana', name: 'Ána Ñúñez' }))).toEqual({
			sub: 'ana',
			name: 'Ána Ñúñez',
		});
	});

	it('returns null for something that is not a compact JWS', () => {
		expect(decodeJwtPayload('')).toBeNull();
		expect(decodeJwtPayload('only.two')).toBeNull();
		expect(decodeJwtPayload('a.!!!.c')).toBeNull();
		expect(decodeJwtPayload(token([1, 2]))).toBeNull();
	});
});

describe('principalFromToken', () => {
	it('reads sub, role, bank and name', () => {
		expect(
			principalFromToken(
				token({ sub: 'owner-1', role: 'owner', bank: 'republic', name: 'Rita', exp: inAnHour }),
				now,
			),
		).toEqual({ sub: 'owner-1', role: 'owner', bank: 'republic', name: 'Rita', exp: inAnHour });
	});

	it('rejects an expired token', () => {
		expect(principalFromToken(token({ sub: 'a', role: 'admin', exp: now / 1000 - 1 }), now)).toBeNull();
	});

	it('rejects a token without a known role or a subject', () => {
		expect(principalFromToken(token({ sub: 'a', role: 'root' }), now)).toBeNull();
		expect(principalFromToken(token({ role: 'admin' }), now)).toBeNull();
	});

	it('accepts a token without an expiry', () => {
		expect(principalFromToken(token({ sub: 'c', role: 'consumer' }), now)).toEqual({
			sub: 'c',
			role: 'consumer',
		});
	});
});
