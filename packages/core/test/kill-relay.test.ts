import { afterAll, describe, expect, it } from 'vitest';
import { randomBetween, startCounterChild } from './child-process.ts';
import { Closer, config, counterRuntime, sleep, waitUntil } from './helpers.ts';
import { breakDeadLeases, expectRecovered, feedLength } from './kill-helpers.ts';

const closer = new Closer();
afterAll(() => closer.closeAll());

describe('killed during relay steps', () => {
  it('worker processes SIGKILLed while appending and relaying leave a feed with every event once and an exact view', { timeout: 60_000 }, async () => {
    const cfg = config('killrel');
    const env = { CHILD_WORKERS: '1', CHILD_COUNTERS: '30', CHILD_CONCURRENCY: '12' };
    const kills: { at: number; feed: number }[] = [];
    for (let round = 0; round < 4; round++) {
      const before = await feedLength(cfg);
      const child = startCounterChild(cfg, env);
      closer.defer(() => child.kill());
      await child.waitFor((m) => m.ready === true);
      // this child holds the relay lease once the feed moves again
      await waitUntil(`child ${round + 1} relaying`, async () => (await feedLength(cfg)) > before + 10, 15_000, 50);
      const delay = randomBetween(0, 1500);
      await sleep(delay);
      await child.kill();
      kills.push({ at: delay, feed: await feedLength(cfg) });
      await breakDeadLeases(cfg);
    }

    const runtime = closer.add(await counterRuntime(cfg));
    const { events } = await expectRecovered(cfg, runtime, 20_000);
    expect(events).toBeGreaterThan(kills[kills.length - 1]!.feed - 1);
  });
});
