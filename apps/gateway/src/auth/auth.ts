import type { Principal, Role } from '@eventloom/core';
import { jwtVerify, SignJWT, type JWK } from 'jose';
import { checkPassword, ensureAccounts } from './accounts.ts';
import { algorithm, loadSigningKeys } from './keys.ts';

const issuer = 'eventloom';
const audience = 'eventloom';
const roles: readonly Role[] = ['owner', 'admin', 'consumer'];
export const tokenLifetimeSeconds = 8 * 60 * 60;

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

  return {
    issue,
    async signIn(username, password) {
      const principal = await checkPassword(accounts, username, password);
      return principal ? issue(principal) : undefined;
    },
    async verify(token) {
      const { payload } = await jwtVerify(token, keys.publicKey, { issuer, audience, algorithms: [algorithm] });
      const role = payload.role as Role;
      if (typeof payload.sub !== 'string' || !roles.includes(role)) throw new Error('token lacks sub or role');
      return {
        sub: payload.sub,
        role,
        ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
        ...(typeof payload.bank === 'string' ? { bank: payload.bank } : {}),
        ...(Array.isArray(payload.contexts) ? { contexts: payload.contexts.map(String) } : {}),
      };
    },
    jwks: { keys: [keys.publicJwk] },
  };
}
