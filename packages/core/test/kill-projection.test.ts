import { afterAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { ContextDefinition } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { EventStore } from '../src/store/event-store.ts';
import { mapLimit } from '../src/worker/map-limit.ts';
import { readBlobText } from '../src/store/storage.ts';
import { randomBetween, startCounterChild } from './child-process.ts';
import { Closer, config, counter, counterRuntime, storageOf, waitUntil } from './helpers.ts';
import { breakDeadLeases, expectRecovered, feedLength } from './kill-helpers.ts';

const closer = new Closer();
afterAll(() => closer.closeAll());

describe('killed inside a projection batch', () => {
  it('a projecting process SIGKILLed mid-catch-up leaves a view that a fresh runtime completes exactly', { timeout: 150_000 }, async () => {
    const cfg = config('killprj');
    const storage = storageOf(cfg);
    // a backlog: 250 counters × 12 events, relayed into the feed but not projected yet
    const store = new EventStore(storage, 'counter');
    await store.ready();
    await mapLimit(Array.from({ length: 250 }, (_, i) => i), 16, async (i) => {
      const events = Array.from({ length: 12 }, (_, k) => ({ type: 'Incremented', data: { counterId: `c${i}`, by: 1 + ((i + k) % 9) } }));
      const id = uuidv7();
      await store.append(`counter-c${i}`, 0, events, { who: 'seed', correlationId: id, causationId: id });
    });
    const relayOnly: ContextDefinition = { ...counter, projections: [] };
    const relay = await createRuntime({ contexts: [relayOnly], config: cfg });
    await waitUntil('the backlog in the feed', async () => (await feedLength(cfg)) === 3000, 20_000, 200);
    await relay.close();

    // children project the backlog (500-entry batches, 250 rows: three transactions a flush) and keep
    // appending; each is killed at a random point of the catch-up
    const checkpoint = async () => {
      const blob = (await storage.container('counter')).getBlockBlobClient('leases/projection-counters.json');
      const text = await readBlobText(blob).catch(() => '');
      return text ? ((JSON.parse(text) as { seq?: number }).seq ?? 0) : 0;
    };
    const killedAt: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = await checkpoint();
      const child = startCounterChild(cfg, { CHILD_WORKERS: '1', CHILD_COUNTERS: '250', CHILD_CONCURRENCY: '8' });
      closer.defer(() => child.kill());
      await child.waitFor((m) => m.ready === true);
      await waitUntil(`child ${round + 1} projecting`, async () => (await checkpoint()) > before, 20_000, 20);
      await new Promise((r) => setTimeout(r, randomBetween(0, 300)));
      await child.kill();
      killedAt.push(await checkpoint());
      await breakDeadLeases(cfg);
    }
    // killed mid-catch-up, not after it
    expect(killedAt[killedAt.length - 1]).toBeLessThan(await feedLength(cfg));

    const runtime = closer.add(await counterRuntime(cfg));
    await expectRecovered(cfg, runtime, 25_000);
  });
});
