import { describe, expect, it } from 'vitest';
import { Limits } from './limits.ts';
import type { Cost } from './requests.ts';

/** A clock the test moves by hand. */
function manualClock() {
  let now = 0;
  return { clock: () => now, advance: (ms: number) => void (now += ms) };
}

const inPartition = (key: string, entities = 1, table = 'events'): Cost => ({ entities, partition: { table, key } });

/** How many of `count` requests of `cost` are admitted right now. */
function admitted(limits: Limits, cost: Cost, count: number): number {
  let n = 0;
  for (let i = 0; i < count; i++) if (limits.admit(cost).admitted) n++;
  return n;
}

describe('Azure targets as token buckets', () => {
  it('takes one second of a partition at once, then its rate as time passes', () => {
    const { clock, advance } = manualClock();
    const limits = new Limits({ partitionRate: 100, accountRate: 10_000, clock });

    expect(admitted(limits, inPartition('a'), 150)).toBe(100);
    advance(250);
    expect(admitted(limits, inPartition('a'), 100)).toBe(25);
    advance(10_000);
    // the burst never grows past one second's worth
    expect(admitted(limits, inPartition('a'), 500)).toBe(100);
  });

  it('refuses with the partition limit, and gives each partition and table its own budget', () => {
    const { clock } = manualClock();
    const limits = new Limits({ partitionRate: 100, accountRate: 10_000, clock });

    expect(admitted(limits, inPartition('a'), 100)).toBe(100);
    expect(limits.admit(inPartition('a'))).toEqual({ admitted: false, limit: 'partition' });
    expect(admitted(limits, inPartition('b'), 100)).toBe(100);
    expect(admitted(limits, inPartition('a', 1, 'feed'), 100)).toBe(100);
  });

  it('caps the sum of all partitions at the account rate', () => {
    const { clock, advance } = manualClock();
    const limits = new Limits({ partitionRate: 100, accountRate: 250, clock });

    const first = ['a', 'b', 'c', 'd'].map((key) => admitted(limits, inPartition(key), 100));
    expect(first).toEqual([100, 100, 50, 0]);
    expect(limits.admit(inPartition('e'))).toEqual({ admitted: false, limit: 'account' });
    // a table operation touches no partition, and still counts against the account
    expect(limits.admit({ entities: 1 })).toEqual({ admitted: false, limit: 'account' });
    advance(1000);
    expect(admitted(limits, { entities: 1 }, 300)).toBe(250);
  });

  it('refuses a request whole: a transaction that does not fit takes nothing', () => {
    const { clock } = manualClock();
    const limits = new Limits({ partitionRate: 100, accountRate: 10_000, clock });

    expect(admitted(limits, inPartition('a'), 95)).toBe(95);
    expect(limits.admit(inPartition('a', 10)).admitted).toBe(false);
    expect(admitted(limits, inPartition('a'), 10)).toBe(5);
  });

  it('a partition refusal leaves the account untouched, and an account refusal the partition', () => {
    const { clock } = manualClock();
    const limits = new Limits({ partitionRate: 10, accountRate: 15, clock });

    expect(admitted(limits, inPartition('a'), 20)).toBe(10);
    // the ten refusals above charged nothing: the account still has 5
    expect(admitted(limits, inPartition('b'), 10)).toBe(5);
    // b's refusals were the account's: b's own bucket still holds 5
    expect(limits.admit(inPartition('b')).admitted).toBe(false);
  });

  it('lets a transaction larger than a second of the partition pass when the partition is idle, then makes it wait the rate out', () => {
    const { clock, advance } = manualClock();
    const limits = new Limits({ partitionRate: 50, accountRate: 10_000, clock });

    expect(limits.admit(inPartition('feed', 100)).admitted).toBe(true);
    advance(1000);
    // it overdrew by 50; a second paid that back, and nothing more
    expect(limits.admit(inPartition('feed')).admitted).toBe(false);
    advance(999);
    expect(limits.admit(inPartition('feed', 100)).admitted).toBe(false);
    advance(1);
    expect(limits.admit(inPartition('feed', 100)).admitted).toBe(true);
  });

  it('forgets partitions that have been idle a second, so memory stays bounded', () => {
    const { clock, advance } = manualClock();
    const limits = new Limits({ partitionRate: 100, accountRate: 1_000_000, clock });

    for (let i = 0; i < 10_000; i++) limits.admit(inPartition(`stream-${i}`));
    expect(limits.trackedPartitions).toBe(10_000);
    advance(1000);
    limits.admit(inPartition('now'));
    expect(limits.trackedPartitions).toBe(1);
  });

  it('keeps a partition still in debt, so forgetting never forgives it', () => {
    const { clock, advance } = manualClock();
    const limits = new Limits({ partitionRate: 50, accountRate: 1_000_000, clock });

    limits.admit(inPartition('feed', 100));
    advance(1000);
    limits.admit(inPartition('other'));
    expect(limits.trackedPartitions).toBe(2);
    expect(limits.admit(inPartition('feed')).admitted).toBe(false);
  });

  it('refuses rates that are not positive numbers', () => {
    expect(() => new Limits({ partitionRate: 0, accountRate: 1 })).toThrow(/partitionRate/);
    expect(() => new Limits({ partitionRate: 1, accountRate: Number.NaN })).toThrow(/accountRate/);
  });
});
