import { afterAll, describe, expect, it } from 'vitest';
import { randomBetween, startChild } from './child-process.ts';
import { Closer, config, counterRuntime, sleep, waitUntil } from './helpers.ts';
import { expectRecovered, feedLength } from './kill-helpers.ts';

const closer = new Closer();
afterAll(() => closer.closeAll());

describe('killed during relay steps', () => {
  it('worker processes SIGKILLed while appending and relaying leave a feed with every event once and an exact view', { timeout: 60_000 }, async () => {
    const cfg = config('killrel');
    const env = { CHILD_WORKERS: '1', CHILD_COUNTERS: '30', CHILD_CONCURRENCY: '12' };

    // round 1: the first child holds the relay lease from the start
    const first = startChild(cfg, env);
    closer.defer(() => first.kill());
    await first.waitFor((m) => m.ready === true);
    await waitUntil('the first child relaying', async () => (await feedLength(cfg)) > 20, 15_000);
    await sleep(randomBetween(200, 2000));
    await first.kill();
    const headAfterFirst = await feedLength(cfg);

    // round 2: the next child waits for the dead one's lease to expire, relays, and dies too
    const second = startChild(cfg, env);
    closer.defer(() => second.kill());
    await second.waitFor((m) => m.ready === true);
    await waitUntil('the second child relaying', async () => (await feedLength(cfg)) > headAfterFirst + 20, 25_000, 200);
    await sleep(randomBetween(0, 1500));
    await second.kill();

    // a fresh runtime takes over once the second lease expires
    const runtime = closer.add(await counterRuntime(cfg));
    const { events } = await expectRecovered(cfg, runtime, 28_000);
    expect(events).toBeGreaterThan(headAfterFirst);
  });
});
