import type { TestProject } from 'vitest/node';
import { startAzurite } from '@eventloom/core/testing/azurite';
import { defaultRedisUrl, redisAnswers } from '../redis.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    azureStorageConnectionString: string;
    redisUrl: string;
  }
}

/**
 * Once per test run: one in-memory Azurite on free ports for every project, and
 * a check that Redis answers. Test workers get both through the environment
 * (they are forked after this runs) and through `inject`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redisUrl = process.env.REDIS_URL || defaultRedisUrl;
  if (!(await redisAnswers(redisUrl, 2_000))) {
    throw new Error(
      `Redis does not answer at ${redisUrl}. Integration tests need a real Redis: start one ` +
        '(`redis-server --save "" --appendonly no`) or set REDIS_URL; `./eventloom test` starts one for you when redis-server is installed.',
    );
  }
  const azurite = await startAzurite({ inMemory: true });
  process.env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
  process.env.REDIS_URL = redisUrl;
  project.provide('azureStorageConnectionString', azurite.connectionString);
  project.provide('redisUrl', redisUrl);
  return () => azurite.stop();
}
