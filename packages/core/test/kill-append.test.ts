import { afterAll, describe, expect, it } from 'vitest';
import { randomBetween, startCounterChild } from './child-process.ts';
import { Closer, config, counterRuntime } from './helpers.ts';
import { expectRecovered, feedLength, storedCount } from './kill-helpers.ts';

const closer = new Closer();
afterAll(() => closer.closeAll());

describe('killed between append and relay', () => {
  it('a writer process (no workers) SIGKILLed mid-append loses nothing: a fresh runtime relays and projects every committed event once', { timeout: 50_000 }, async () => {
    const cfg = config('killapp');
    for (let round = 0; round < 3; round++) {
      const child = startCounterChild(cfg, { CHILD_WORKERS: '0', CHILD_COUNTERS: '20', CHILD_CONCURRENCY: '8' });
      closer.defer(() => child.kill());
      await child.waitFor((m) => m.committed !== undefined, 20_000);
      await new Promise((r) => setTimeout(r, randomBetween(100, 1500)));
      await child.kill();
    }
    const committed = await storedCount(cfg);
    expect(committed).toBeGreaterThan(30);
    // nobody relayed yet: the events exist only in the store (the outbox)
    expect(await feedLength(cfg)).toBe(0);

    const runtime = closer.add(await counterRuntime(cfg));
    const { events } = await expectRecovered(cfg, runtime, 25_000);
    expect(events).toBe(committed);
  });
});
