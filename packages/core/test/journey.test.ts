import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ContextDefinition } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { ApplyLog } from '../src/journey/apply-log.ts';
import type { EventJourney } from '../src/journey/event-journey.ts';
import { partitionOf } from '../src/relay/partitions.ts';
import type { Runtime } from '../src/runtime.ts';
import { unluckyMeters } from './unlucky-meters.ts';
import { Closer, config, counter, local, owner, storageOf, waitUntil } from './helpers.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

const day = 86_400_000;

/** Increments a counter and waits for the view; returns the event's journey once its application time is recorded. */
async function journeyOfIncrement(runtime: Runtime, id: string): Promise<EventJourney> {
  const context = local(runtime);
  const accepted = await context.execute('counter', 'increment', { id, by: 2 }, { principal: owner });
  expect(await context.waitForViews(accepted, 10_000)).toBe(true);
  const event = accepted.events[0]!;
  const seq = (await context.readFeed(0, 1000)).find((entry) => entry.id === event.id)!.seq;
  let journey: EventJourney | undefined;
  // The time is written after the runner saves its checkpoint (when the feed runs dry, or within a second).
  await waitUntil('the application time is recorded', async () => {
    journey = await context.journey({ stream: event.stream, version: event.version, seq }, owner);
    return journey?.projections.every((p) => p.at !== undefined) ?? false;
  });
  return journey!;
}

describe('event journey', () => {
  it('shows accepted, stored, placed and applied, in that order, from the store, the feed and the apply log', { timeout: 60_000 }, async () => {
    const runtime = closer.add(await createRuntime({ contexts: [counter], config: config('journey') }));
    const journey = await journeyOfIncrement(runtime, 'j1');
    expect(journey).toMatchObject({ context: 'counter', type: 'Incremented', stream: 'counter-j1', version: 1, placed: { state: 'placed' } });
    expect(journey.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(journey.traceparent).toContain(journey.traceId);
    const [step] = journey.projections;
    expect(step).toMatchObject({ projection: 'counters', runner: 'counters', generation: 0, state: 'applied' });
    const stored = Date.parse(journey.stored.at!);
    const placed = Date.parse((journey.placed as { at: string }).at);
    expect(Date.parse(journey.accepted.at)).toBeLessThanOrEqual(stored);
    expect(stored).toBeLessThanOrEqual(placed);
    expect(placed).toBeLessThanOrEqual(Date.parse(step!.at!));

    // A second event is found in its own batch, not the first one's.
    const second = await journeyOfIncrement(runtime, 'j2');
    expect(Date.parse(second.projections[0]!.at!)).toBeGreaterThanOrEqual(Date.parse(step!.at!));
    expect((second.placed as { seq: number }).seq).toBe((journey.placed as { seq: number }).seq + 1);
  });

  it('says pending for an event not placed yet, and nothing for an event that is not stored', { timeout: 30_000 }, async () => {
    // No workers here: no relay places the event.
    const runtime = closer.add(await createRuntime({ contexts: [counter], config: config('journeyp'), workers: false }));
    const context = local(runtime);
    const accepted = await context.execute('counter', 'increment', { id: 'p1', by: 1 }, { principal: owner });
    const journey = await context.journey({ stream: accepted.stream, version: 1 }, owner);
    expect(journey?.placed).toEqual({ state: 'pending' });
    expect(journey?.projections.map((p) => p.state)).toEqual(['pending']);
    expect(await context.journey({ stream: accepted.stream, version: 99 }, owner)).toBeUndefined();
  });

  it('follows a partitioned projection to the runner of the event’s partition, in that partition’s order', { timeout: 60_000 }, async () => {
    const counters = counter.projections[0]!;
    const partitioned: ContextDefinition = { ...counter, feed: { partitions: 2 }, projections: [{ ...counters, partitioned: true }] };
    const runtime = closer.add(await createRuntime({ contexts: [partitioned], config: config('journeyq') }));
    // Two streams, one in each partition.
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const second = ids.find((id) => partitionOf(`counter-${id}`, 2) === 1)!;
    const first = ids.find((id) => partitionOf(`counter-${id}`, 2) === 0)!;
    expect((await journeyOfIncrement(runtime, first)).projections[0]).toMatchObject({ runner: 'counters', state: 'applied' });
    expect((await journeyOfIncrement(runtime, second)).projections[0]).toMatchObject({ runner: 'counters~p1', state: 'applied' });
  });
});

const { context: faulty, fix } = unluckyMeters('faulty');

describe('event journey of a dead letter', () => {
  it('says parked, with the error, and applied at the retry once an admin retried it', { timeout: 60_000 }, async () => {
    const runtime = closer.add(await createRuntime({ contexts: [faulty], config: config('journeyd') }));
    const context = local(runtime, 'faulty');
    const accepted = await context.execute('meter', 'bump', { id: 'd1', by: 13 }, { principal: owner });
    await waitUntil('parked', async () => (await context.deadLetters('meters')).length === 1);
    const [letter] = await context.deadLetters('meters');
    const located = { stream: accepted.stream, version: 1, seq: letter!.seq };
    const parked = await context.journey(located, owner);
    expect(parked?.projections).toEqual([expect.objectContaining({ projection: 'meters', state: 'parked', error: 'Error: unlucky thirteen' })]);

    fix();
    try {
      await context.resolveDeadLetter('meters', letter!.seq, 'retry');
      await waitUntil('retried', async () => (await context.deadLetters('meters'))[0]?.state === 'retried');
      const retried = (await context.journey(located, owner))!.projections[0]!;
      expect(retried.state).toBe('applied');
      expect(Date.parse(retried.at!)).toBeGreaterThan(Date.parse(letter!.at));
    } finally {
      fix(false);
    }
  });
});

describe('apply log', () => {
  it('finds an application recorded days after the placement, and drops day tables past the retention', { timeout: 30_000 }, async () => {
    const cfg = config('applylog');
    const storage = storageOf(cfg);
    let now = Date.parse('2026-11-20T12:00:00Z');
    const log = new ApplyLog(storage, 'counter', { retentionDays: 7, clock: () => now });
    await log.write('counters', 0, [
      { from: 0, seq: 10, at: now },
      { from: 10, seq: 20, at: now + 1 },
    ]);
    now += 3 * day;
    await log.write('counters', 0, [{ from: 20, seq: 30, at: now }]);
    // Generation 1 was filled by a rebuild up to 25 (unrecorded), then applied live.
    await log.write('counters', 1, [{ from: 25, seq: 30, at: now + 5 }]);
    expect(await log.find('counters', 0, 15, now - 3 * day)).toBe(now - 3 * day + 1);
    expect(await log.find('counters', 0, 21, now - 3 * day)).toBe(now);
    expect(await log.find('counters', 1, 26, now - 3 * day)).toBe(now + 5);
    expect(await log.find('counters', 1, 21, now - 3 * day)).toBeUndefined();
    expect(await log.find('counters', 0, 31, now - 3 * day)).toBeUndefined();
    expect(await log.find('other', 0, 1, now - 3 * day)).toBeUndefined();

    now += 6 * day;
    const dropped = await log.retire();
    expect(dropped).toEqual([storage.tableName('counter', 'Applied', '20261120')]);
    // The dropped day's batches are gone: their events have no time, not the next row's.
    expect(await log.find('counters', 0, 15, now - 9 * day)).toBeUndefined();
    expect(await log.find('counters', 0, 25, now - 9 * day)).toBe(now - 6 * day);
  });
});
