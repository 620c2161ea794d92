import type { Auth } from '../../auth/auth.ts';
import { keyPrefix, principalOf, type ConsumerKeys } from './consumer-keys.ts';

/**
 * The gateway's Auth, also recognising consumer keys: a bearer `elk_…` is looked up
 * by its hash and becomes a consumer scoped to the key's contexts; anything else is
 * a JWT as before. An unknown or revoked key fails like a bad token (401).
 */
export function withConsumerKeys(auth: Auth, keys: ConsumerKeys): Auth {
  return {
    ...auth,
    async verify(token) {
      if (!token.startsWith(keyPrefix)) return auth.verify(token);
      const key = await keys.verify(token);
      if (!key) throw new Error('unknown or revoked consumer key');
      return principalOf(key);
    },
  };
}
