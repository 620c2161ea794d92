import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/create-runtime.ts';
import { startTcpFaultProxy } from '../src/testing/faults/index.ts';
import { Closer, config, counter, countersView, owner, waitUntil } from './helpers.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());

describe('a Redis that keeps the connection open but stops answering', () => {
  it('does not stop the relay and the projections: commands keep reaching the views', { timeout: 40_000 }, async () => {
    const cfg = config('hung');
    const redis = closer.add(await startTcpFaultProxy({ target: { host: new URL(cfg.REDIS_URL).hostname, port: Number(new URL(cfg.REDIS_URL).port || 6379) } }));
    const runtime = closer.add(
      await createRuntime({
        contexts: [counter],
        config: { ...cfg, REDIS_URL: redis.url },
        tuning: { relaySweepMs: 500, relayIdleMs: 200, projectionIdleMs: 200, redisCommandTimeoutMs: 500, markerFreshMs: 300, appendAttemptMs: 1000, markerRetireMs: 2000 },
      }),
    );
    expect(runtime.mode).toBe('redis');
    const context = runtime.context('counter');
    await context.execute('counter', 'increment', { id: 'a', by: 1 }, { principal: owner });
    await waitUntil('the first increment in the view', async () => (await countersView(runtime)).get('a') === 1);

    redis.set('hung');
    for (let i = 0; i < 10; i++) await context.execute('counter', 'increment', { id: 'a', by: 1 }, { principal: owner });
    await waitUntil('every increment in the view while Redis hangs', async () => (await countersView(runtime)).get('a') === 11, 20_000);
  });
});
