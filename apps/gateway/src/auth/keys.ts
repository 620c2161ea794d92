import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { writeOnce } from './write-once.ts';

export const algorithm = 'ES256';

type Key = Awaited<ReturnType<typeof importJWK>>;

export interface SigningKeys {
  kid: string;
  privateKey: Key;
  publicKey: Key;
  /** The public half, as served at `/.well-known/jwks.json`. */
  publicJwk: JWK;
}

/**
 * Loads the gateway's ES256 key pair from `<home>/keys/signing.jwk.json`, generating
 * it on first run. Every gateway sharing EVENTLOOM_HOME signs and verifies with it.
 */
export async function loadSigningKeys(home: string): Promise<SigningKeys> {
  const path = join(home, 'keys', 'signing.jwk.json');
  let stored = await readJwk(path);
  if (!stored) {
    const pair = await generateKeyPair(algorithm, { extractable: true });
    const jwk = await exportJWK(pair.privateKey);
    jwk.kid = `eventloom-${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`;
    jwk.alg = algorithm;
    jwk.use = 'sig';
    await writeOnce(path, `${JSON.stringify(jwk, null, 2)}\n`);
    stored = await readJwk(path);
    if (!stored) throw new Error(`could not create the signing key at ${path}`);
  }
  const { d: _private, ...publicJwk } = stored;
  return {
    kid: stored.kid ?? 'eventloom',
    privateKey: await importJWK(stored, algorithm),
    publicKey: await importJWK(publicJwk, algorithm),
    publicJwk,
  };
}

async function readJwk(path: string): Promise<JWK | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
