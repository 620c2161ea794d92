import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '@eventloom/cli/src/ports.ts';
import { defaultRedisUrl, redisAnswers } from '@eventloom/cli/src/redis.ts';
import { startAzurite } from '@eventloom/core/testing/azurite';
import type { SimEnvironment } from './world.ts';

/**
 * For `pnpm sim`: an in-memory Azurite of its own, and the Redis at REDIS_URL (default
 * 127.0.0.1:6379) or, when none answers, a throwaway redis-server if one is installed.
 */
export async function environment(): Promise<SimEnvironment & { stop(): Promise<void> }> {
  const azurite = await startAzurite({ inMemory: true });
  let redisUrl = process.env.REDIS_URL || defaultRedisUrl;
  let redis: ChildProcess | undefined;
  if (!(await redisAnswers(redisUrl, 2000))) {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    redis.on('error', () => undefined);
    redisUrl = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 50 && !(await redisAnswers(redisUrl, 500)); i++) await new Promise((r) => setTimeout(r, 100));
    if (!(await redisAnswers(redisUrl, 1000))) {
      await azurite.stop();
      throw new Error(`Redis does not answer at ${process.env.REDIS_URL || defaultRedisUrl} and no redis-server could be started: install Redis 7 or set REDIS_URL`);
    }
  }
  return {
    connectionString: azurite.connectionString,
    redisUrl,
    async stop() {
      redis?.kill('SIGKILL');
      await azurite.stop();
    },
  };
}
