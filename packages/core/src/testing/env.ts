import { randomBytes } from 'node:crypto';
import { loadCoreConfig, type CoreConfig } from '../config.ts';

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A fresh table/container name prefix, so test files sharing one Azurite never
 * see each other's tables: `t` + 10 random lower-case letters or digits
 * (matches EVENTLOOM_PREFIX's /^[a-z][a-z0-9]{0,15}$/). `name` adds up to four
 * letters of it after the `t`, to make a leftover table easy to attribute.
 */
export function testPrefix(name = ''): string {
  const hint = name.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 4);
  const bytes = randomBytes(10);
  let random = '';
  for (const byte of bytes) random += alphabet[byte % alphabet.length];
  return `t${hint}${random}`.slice(0, 16);
}

/**
 * CoreConfig for an integration test: the Azurite and Redis of the test run
 * (AZURE_STORAGE_CONNECTION_STRING and REDIS_URL, set by the global setup) and
 * a prefix of its own. Throws if no Azurite was provided, rather than silently
 * using a developer's storage on the default ports.
 */
export function testConfig(overrides: Partial<CoreConfig> & { name?: string } = {}): CoreConfig {
  const { name, ...rest } = overrides;
  if (!process.env.AZURE_STORAGE_CONNECTION_STRING && !rest.AZURE_STORAGE_CONNECTION_STRING) {
    throw new Error(
      'testConfig: AZURE_STORAGE_CONNECTION_STRING is not set. Run tests through the root vitest config ' +
        '(`pnpm vitest` or `./eventloom test`), whose global setup starts Azurite.',
    );
  }
  return {
    ...loadCoreConfig({
      ...process.env,
      REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
      EVENTLOOM_PREFIX: testPrefix(name),
    }),
    ...rest,
  };
}
