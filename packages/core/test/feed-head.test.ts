import { describe, expect, it, vi } from 'vitest';
import { Feed, type FeedColumns } from '../src/relay/feed.ts';
import { config, storageOf } from './helpers.ts';

const entry = (seq: number): FeedColumns => ({
  seq,
  rat: new Date(0).toISOString(),
  id: `e${seq}`,
  type: 'Incremented',
  sv: 1,
  s: `counter-c${seq % 7}`,
  v: seq,
  at: new Date(0).toISOString(),
  who: 'test',
  cor: `c${seq}`,
  cau: `c${seq}`,
  data: JSON.stringify({ id: `c${seq % 7}`, by: 1 }),
});

describe('finding the feed head', () => {
  it('finds the head of a long feed without paging through it, and then reads only what came since', async () => {
    const storage = storageOf(config('feedhead'));
    const writer = new Feed(storage, 'counter');
    await writer.append(Array.from({ length: 2_500 }, (_, i) => entry(i + 1)));
    // A reader in another process (a gateway's stats, the admin page) knows nothing yet.
    const reader = new Feed(storage, 'counter');
    const internals = reader as unknown as { keysAfter: (after: number, limit: number) => Promise<number[]>; exists: (seq: number) => Promise<boolean> };
    const pages = vi.spyOn(internals, 'keysAfter');
    const points = vi.spyOn(internals, 'exists');
    expect(await reader.head()).toBe(2_500);
    // One page of keys, then point reads that double and halve: not a page per 1,000 rows.
    expect(pages).toHaveBeenCalledTimes(1);
    expect(points.mock.calls.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(2_500)) + 2);
    pages.mockClear();
    points.mockClear();
    await writer.append([entry(2_501), entry(2_502)]);
    expect(await reader.head()).toBe(2_502);
    // What came since the head it saw: one page from there.
    expect(pages.mock.calls.map(([after]) => after)).toEqual([2_500]);
    expect(points).not.toHaveBeenCalled();
  });

  it.each([0, 1, 999, 1_000, 1_001, 2_000, 4_097])('finds the head of a feed of %i rows exactly', async (rows) => {
    const storage = storageOf(config(`feedhead${rows}`));
    const writer = new Feed(storage, 'counter');
    if (rows > 0) await writer.append(Array.from({ length: rows }, (_, i) => entry(i + 1)));
    expect(await new Feed(storage, 'counter').head()).toBe(rows);
    expect(await new Feed(storage, 'counter').head(Math.floor(rows / 2))).toBe(rows);
  });
});
