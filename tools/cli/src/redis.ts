import { Redis } from 'ioredis';

export const defaultRedisUrl = 'redis://127.0.0.1:6379';

/** True when a Redis at `url` answers PING within `timeoutMs`; never throws, never retries. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const redis = new Redis(url, {
    connectTimeout: timeoutMs,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {
    // reported through the promise below
  });
  try {
    await redis.connect();
    const pong = await Promise.race([
      redis.ping(),
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error('timeout')), timeoutMs).unref()),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

// `node tools/cli/src/redis.ts [url]`: exit 0 when Redis answers, 1 otherwise (used by ./eventloom).
if (import.meta.main) {
  const url = process.argv[2] || process.env.REDIS_URL || defaultRedisUrl;
  // exit at once: a refused ioredis socket keeps the loop alive for a while
  process.exit((await redisAnswers(url)) ? 0 : 1);
}
