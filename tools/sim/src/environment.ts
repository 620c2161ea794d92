import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '@eventloom/cli/src/ports.ts';
import { defaultRedisUrl, redisAnswers } from '@eventloom/cli/src/redis.ts';
import { startAzurite } from '@eventloom/core/testing/azurite';
import type { SimEnvironment } from './world.ts';

export interface Environment {
  /** A fresh in-memory Azurite for one seed and the shared Redis; `done` stops that Azurite. */
  forSeed(): Promise<SimEnvironment & { done(): Promise<void> }>;
  stop(): Promise<void>;
}

/**
 * For `pnpm sim`: the Redis at REDIS_URL (default 127.0.0.1:6379) or, when none answers, a
 * throwaway redis-server if one is installed; and an in-memory Azurite per seed. A store of
 * its own per seed keeps seeds apart (one seed's load or a stalled Azurite cannot slow the
 * next) and keeps memory bounded in long runs (an in-memory Azurite never gives back what
 * earlier runs wrote). Seeds never share Redis keys: each run has its own prefix.
 */
export async function environment(): Promise<Environment> {
  let redisUrl = process.env.REDIS_URL || defaultRedisUrl;
  let redis: ChildProcess | undefined;
  if (!(await redisAnswers(redisUrl, 2000))) {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    redis.on('error', () => undefined);
    redisUrl = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 50 && !(await redisAnswers(redisUrl, 500)); i++) await new Promise((r) => setTimeout(r, 100));
    if (!(await redisAnswers(redisUrl, 1000))) {
      redis.kill('SIGKILL');
      throw new Error(`Redis does not answer at ${process.env.REDIS_URL || defaultRedisUrl} and no redis-server could be started: install Redis 7 or set REDIS_URL`);
    }
  }
  return {
    async forSeed() {
      const azurite = await startAzurite({ inMemory: true });
      return { connectionString: azurite.connectionString, redisUrl, done: () => azurite.stop() };
    },
    async stop() {
      redis?.kill('SIGKILL');
    },
  };
}
