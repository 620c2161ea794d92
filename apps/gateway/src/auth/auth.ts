import type { Principal, Role } from '@eventloom/core';
import { jwtVerify, SignJWT, type JWK } from 'jose';
import { checkPassword, ensureAccounts } from './accounts.ts';
import { algorithm, loadSigningKeys } from './keys.ts';

const issuer = 'eventloom';
const audience = 'eventloom';
const roles: readonly Role[] = ['owner', 'admin', 'consumer'];
export const tokenLifetimeSeconds = 8 * 60 * 60;
/** Verified tokens are remembered this long (never past their expiry), this many at most. */
const verifiedForMs = 60_000;
const verifiedMax = 10_000;

export interface IssuedToken {
  token: string;
  expiresAt: string;
  principal: Principal;
}

/** What the gateway needs to sign people in and to recognise them afterwards. */
export interface Auth {
  signIn(username: string, password: string): Promise<IssuedToken | undefined>;
  issue(principal: Principal): Promise<IssuedToken>;
  /** Throws when the token is malformed, tampered with, expired or not ours. */
  verify(token: string): Promise<Principal>;
  readonly jwks: { keys: JWK[] };
}

/** Loads (or on first run creates) the signing key and local accounts under `home`. */
export async function loadAuth(home: string): Promise<Auth> {
  const [keys, accounts] = await Promise.all([loadSigningKeys(home), ensureAccounts(home)]);

  const issue = async (principal: Principal): Promise<IssuedToken> => {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + tokenLifetimeSeconds;
    const { sub, ...claims } = principal;
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: algorithm, kid: keys.kid, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(keys.privateKey);
    return { token, expiresAt: new Date(exp * 1000).toISOString(), principal };
  };

  const verified = new Map<string, { principal: Principal; until: number }>();
  return {
    issue,
    async signIn(username, password) {
      const principal = await checkPassword(accounts, username, password);
      return principal ? issue(principal) : undefined;
    },
    async verify(token) {
      const now = Date.now();
      const known = verified.get(token);
      if (known && known.until > now) return known.principal;
      const { payload } = await jwtVerify(token, keys.publicKey, { issuer, audience, algorithms: [algorithm] });
      const role = payload.role as Role;
      if (typeof payload.sub !== 'string' || !roles.includes(role)) throw new Error('token lacks sub or role');
      const principal: Principal = {
        sub: payload.sub,
        role,
        ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
        ...(typeof payload.bank === 'string' ? { bank: payload.bank } : {}),
        ...(Array.isArray(payload.contexts) ? { contexts: payload.contexts.map(String) } : {}),
      };
      // A signature check costs more than the rest of a small request: each token is checked
      // once a minute at most, and never trusted past its expiry.
      if (verified.size >= verifiedMax) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal, until: Math.min(now + verifiedForMs, (payload.exp ?? 0) * 1000) });
      return principal;
    },
    jwks: { keys: [keys.publicJwk] },
  };
}
