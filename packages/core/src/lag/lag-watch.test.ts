import { describe, expect, it } from 'vitest';
import { LagWatch } from './lag-watch.ts';

/** A clock tests move by hand, and a feed whose entry n was placed at `placed[n]`. */
function setup(stallAfterMs = 30_000) {
  let now = 1_000_000;
  const placed = new Map<number, number>();
  const reads: number[] = [];
  const watch = new LagWatch({ now: () => now, stallAfterMs });
  const placedAt = async (seq: number) => {
    reads.push(seq);
    return placed.get(seq);
  };
  return {
    watch,
    placed,
    reads,
    placedAt,
    at: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('LagWatch', () => {
  it('says a caught-up consumer is 0 s behind and not stalled, without reading the feed', async () => {
    const { watch, placedAt, reads, advance } = setup();
    expect(await watch.look('p', 10, 10, placedAt)).toEqual({ lagSeconds: 0, stalled: false });
    advance(120_000);
    expect(await watch.look('p', 10, 10, placedAt)).toEqual({ lagSeconds: 0, stalled: false });
    expect(reads).toEqual([]);
  });

  it('measures seconds behind as the age of the entry after the checkpoint', async () => {
    const { watch, placed, placedAt, at } = setup();
    placed.set(11, at() - 4_500);
    expect(await watch.look('p', 10, 20, placedAt)).toEqual({ lagSeconds: 4.5, stalled: false });
  });

  it('reads the entry after a checkpoint once, however often it looks', async () => {
    const { watch, placed, placedAt, reads, at, advance } = setup();
    placed.set(11, at());
    for (let i = 0; i < 5; i++) {
      await watch.look('p', 10, 20, placedAt);
      advance(1_000);
    }
    expect(reads).toEqual([11]);
    placed.set(15, at());
    await watch.look('p', 14, 20, placedAt);
    expect(reads).toEqual([11, 15]);
  });

  it('flags a consumer whose checkpoint has not moved while work waited past the threshold', async () => {
    const { watch, placed, placedAt, at, advance } = setup(30_000);
    placed.set(11, at());
    expect((await watch.look('p', 10, 11, placedAt)).stalled).toBe(false);
    advance(29_000);
    expect((await watch.look('p', 10, 11, placedAt)).stalled).toBe(false);
    advance(1_000);
    expect(await watch.look('p', 10, 11, placedAt)).toEqual({ lagSeconds: 30, stalled: true });
  });

  it('does not flag a consumer that moves, however far behind it is', async () => {
    const { watch, placed, placedAt, at, advance } = setup(30_000);
    // A backlog placed long ago, worked through steadily.
    for (let seq = 1; seq <= 100; seq++) placed.set(seq, at() - 3_600_000);
    for (let checkpoint = 0; checkpoint < 90; checkpoint += 10) {
      const standing = await watch.look('p', checkpoint, 100, placedAt);
      expect(standing.stalled).toBe(false);
      expect(standing.lagSeconds).toBeGreaterThanOrEqual(3_600);
      advance(10_000);
    }
  });

  it('counts the wait from when work arrived, not from when the checkpoint last moved', async () => {
    const { watch, placed, placedAt, at, advance } = setup(30_000);
    // Caught up at 10 for ten minutes: idle, not stalled.
    await watch.look('p', 10, 10, placedAt);
    advance(600_000);
    expect((await watch.look('p', 10, 10, placedAt)).stalled).toBe(false);
    // An event arrives and is not applied: stalled once it has waited 30 s, not at once.
    placed.set(11, at());
    expect((await watch.look('p', 10, 11, placedAt)).stalled).toBe(false);
    advance(30_000);
    expect((await watch.look('p', 10, 11, placedAt)).stalled).toBe(true);
  });

  it('flags a consumer that stops while behind within the threshold of the first look after it stopped', async () => {
    const { watch, placed, placedAt, at, advance } = setup(30_000);
    for (let seq = 1; seq <= 100; seq++) placed.set(seq, at() - 60_000);
    expect((await watch.look('p', 40, 100, placedAt)).stalled).toBe(false);
    advance(15_000);
    // Stopped at 50, seen there first now.
    expect((await watch.look('p', 50, 100, placedAt)).stalled).toBe(false);
    advance(15_000);
    expect((await watch.look('p', 50, 100, placedAt)).stalled).toBe(false);
    advance(15_000);
    expect((await watch.look('p', 50, 100, placedAt)).stalled).toBe(true);
  });

  it('no longer flags a stalled consumer once it moves or catches up', async () => {
    const { watch, placed, placedAt, at, advance } = setup(30_000);
    placed.set(11, at());
    placed.set(12, at());
    await watch.look('p', 10, 12, placedAt);
    advance(31_000);
    expect((await watch.look('p', 10, 12, placedAt)).stalled).toBe(true);
    expect((await watch.look('p', 11, 12, placedAt)).stalled).toBe(false);
    expect(await watch.look('p', 12, 12, placedAt)).toEqual({ lagSeconds: 0, stalled: false });
  });

  it('keeps consumers apart by key', async () => {
    const { watch, placed, placedAt, at, advance } = setup(30_000);
    placed.set(11, at());
    await watch.look('a', 10, 11, placedAt);
    advance(31_000);
    expect((await watch.look('a', 10, 11, placedAt)).stalled).toBe(true);
    expect((await watch.look('b', 10, 11, placedAt)).stalled).toBe(false);
  });
});
