import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretBox, SecretBox } from './secret-box.ts';

describe('webhook secrets at rest', () => {
  it('seals a secret so the stored value reveals nothing, and opens it again', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('whsec_abc');
    expect(sealed).toMatch(/^sealed:v1:/);
    expect(sealed).not.toContain('whsec_abc');
    expect(box.seal('whsec_abc')).not.toBe(sealed); // a fresh nonce each time
    expect(box.open(sealed)).toBe('whsec_abc');
    expect(box.open('whsec_written_before_sealing')).toBe('whsec_written_before_sealing');
  });

  it('refuses a value sealed with another key, or altered, with a message saying what to share', () => {
    const sealed = new SecretBox(randomBytes(32)).seal('whsec_abc');
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow(/sealed with another key.*EVENTLOOM_SECRETS_KEY/);
    const box = new SecretBox(randomBytes(32));
    const good = box.seal('whsec_abc');
    const raw = Buffer.from(good.slice('sealed:v1:'.length), 'base64url');
    raw[raw.length - 1]! ^= 0xff; // one byte of the ciphertext changed
    const altered = `sealed:v1:${raw.toString('base64url')}`;
    expect(() => box.open(altered)).toThrow(/sealed with another key/);
  });

  it('takes its key from EVENTLOOM_SECRETS_KEY, else generates one under EVENTLOOM_HOME that later loads reuse', async () => {
    const key = randomBytes(32);
    const fromEnv = await loadSecretBox({ EVENTLOOM_SECRETS_KEY: key.toString('base64') });
    expect(new SecretBox(key).open(fromEnv.seal('s'))).toBe('s');
    await expect(loadSecretBox({ EVENTLOOM_SECRETS_KEY: 'c2hvcnQ=' })).rejects.toThrow(/EVENTLOOM_SECRETS_KEY must be 32 bytes in base64/);

    const home = await mkdtemp(join(tmpdir(), 'eventloom-secrets-'));
    const first = await loadSecretBox({ EVENTLOOM_HOME: home });
    const second = await loadSecretBox({ EVENTLOOM_HOME: home });
    expect(second.open(first.seal('whsec_shared'))).toBe('whsec_shared');
    expect(Buffer.from((await readFile(join(home, 'keys', 'secrets.key'), 'utf8')).trim(), 'base64')).toHaveLength(32);
  });
});
