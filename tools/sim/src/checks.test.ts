import { partitionOf, type FeedColumns } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { checkPartitions, FeedTail } from './checks.ts';

/** Two streams of the ledger, one in each partition of a feed of two. */
const streams = ['acct-a', 'acct-b', 'acct-c', 'acct-d', 'acct-e'];
const home = (p: number) => streams.find((s) => partitionOf(s, 2) === p)!;

const row = (s: string, v: number, seq: number, id = `${s}-v${v}`): FeedColumns => ({ id, type: 'Deposited', sv: 1, s, v, at: '', who: '', cor: '', cau: '', data: '{}', seq, rat: '' });

/** A sound feed of two partitions: two events of each partition's own stream. */
const sound = () => [0, 1].map((p) => [row(home(p), 1, 1), row(home(p), 2, 2)]);

describe("the checks of a partitioned feed's partitions", () => {
  it('find nothing wrong in sound partitions', () => {
    expect(checkPartitions(sound())).toEqual([]);
    const ids = new Set<string>();
    expect(sound().flatMap((rows, p) => new FeedTail(`partition ${p}`, { index: p, of: 2 }, ids).take(rows, 0))).toEqual([]);
  });

  it('report a partition with a gap', () => {
    const partitions = sound();
    partitions[1]!.splice(0, 1);
    expect(checkPartitions(partitions)).toEqual([`feed partition 1: position 1 holds seq 2`]);
    expect(new FeedTail('partition 1', { index: 1, of: 2 }).take(partitions[1]!, 7)).toEqual(['partition 1: seq 2 follows 0 (seen at 7 ms)']);
  });

  it('report a stream in a partition other than its own', () => {
    const partitions = sound();
    partitions[0]!.push(row(home(1), 3, 3));
    expect(checkPartitions(partitions)).toEqual([`feed partition 0: seq 3 holds stream ${home(1)}, whose partition is 1`]);
    expect(new FeedTail('partition 0', { index: 0, of: 2 }).take(partitions[0]!, 7)).toEqual([`partition 0: seq 3 holds stream ${home(1)}, whose partition is 1 (seen at 7 ms)`]);
  });

  it('report an event placed in two partitions', () => {
    const partitions = sound();
    const doubled = partitions[1]![1]!;
    partitions[0]!.push({ ...doubled, seq: 3 });
    const problems = checkPartitions(partitions);
    expect(problems).toContain(`feed event ${doubled.id} (${doubled.s} v2) is in partition 0 seq 3 and again in partition 1 seq 2`);
    const ids = new Set<string>();
    const seen = partitions.flatMap((rows, p) => new FeedTail(`partition ${p}`, { index: p, of: 2 }, ids).take(rows, 7));
    expect(seen).toContain(`partition 1: event ${doubled.s} v2 placed twice, again at seq 2 (seen at 7 ms)`);
  });

  it('report a repeat in the merged feed as it is read', () => {
    const tail = new FeedTail('feed');
    expect(tail.take([row('acct-a', 1, 1), row('acct-a', 2, 2)], 1)).toEqual([]);
    expect(tail.take([row('acct-a', 2, 3)], 2)).toEqual(['feed: event acct-a v2 placed twice, again at seq 3 (seen at 2 ms)']);
  });
});
