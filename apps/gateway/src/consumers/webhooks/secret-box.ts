import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeOnce } from '../../auth/write-once.ts';
import { defaultHome } from '../../config.ts';

const sealedPrefix = 'sealed:v1:';
export const secretsKeyVariable = 'EVENTLOOM_SECRETS_KEY';

/**
 * Keeps webhook signing secrets encrypted at rest (AES-256-GCM): someone who can read
 * the Webhooks table cannot sign deliveries. The gateway must still sign, so the key
 * lives with the gateway's other keys, not in the store. Values written before sealing
 * existed are read as they are.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`a secrets key is 32 bytes; this one is ${key.length}`);
    this.key = key;
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${sealedPrefix}${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  open(stored: string): string {
    if (!stored.startsWith(sealedPrefix)) return stored;
    const raw = Buffer.from(stored.slice(sealedPrefix.length), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`a webhook secret was sealed with another key; give every gateway and worker the same ${secretsKeyVariable} or EVENTLOOM_HOME/keys/secrets.key`);
    }
  }
}

/**
 * The key from EVENTLOOM_SECRETS_KEY (base64 of 32 bytes), else `<home>/keys/secrets.key`,
 * generated on first use. Every process sharing EVENTLOOM_HOME gets the same one.
 */
export async function loadSecretBox(env: NodeJS.ProcessEnv = process.env): Promise<SecretBox> {
  const fromEnv = env[secretsKeyVariable];
  if (fromEnv) {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length !== 32) throw new Error(`${secretsKeyVariable} must be 32 bytes in base64 (e.g. \`openssl rand -base64 32\`); it decodes to ${key.length}`);
    return new SecretBox(key);
  }
  const path = join(env.EVENTLOOM_HOME || defaultHome, 'keys', 'secrets.key');
  await writeOnce(path, `${randomBytes(32).toString('base64')}\n`);
  return new SecretBox(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64'));
}
