import { describe, expect, it, vi } from 'vitest';
import { Feed, type FeedColumns } from '../src/relay/feed.ts';
import { mergerLeaseName, relayLeaseName } from '../src/relay/layout.ts';
import { MergedFeed, MergeJournal } from '../src/relay/merged-feed.ts';
import { BlobLease } from '../src/worker/blob-lease.ts';
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

  it('starts from where the relay last saved its position: what a fresh reader pays does not grow with the feed', async () => {
    const storage = storageOf(config('feedheadsaved'));
    const writer = new Feed(storage, 'counter');
    await writer.append(Array.from({ length: 2_500 }, (_, i) => entry(i + 1)));
    // What the relay saves under its lease about once a second (its state's checkpointSeq).
    const lease = new BlobLease(await storage.container('counter'), relayLeaseName(0), 15);
    expect(await lease.tryAcquire('test')).toBe(true);
    await lease.write({ checkpointSeq: 2_400, cursors: {} });
    await lease.release();
    const reader = new Feed(storage, 'counter');
    const internals = reader as unknown as { keysAfter: (after: number, limit: number) => Promise<number[]>; exists: (seq: number) => Promise<boolean> };
    const pages = vi.spyOn(internals, 'keysAfter');
    const points = vi.spyOn(internals, 'exists');
    expect(await reader.head()).toBe(2_500);
    // One point read that the saved position is in the feed, one page from there: no search over the history.
    expect(pages.mock.calls.map(([after]) => after)).toEqual([2_400]);
    expect(points.mock.calls.length).toBeLessThanOrEqual(1);
  });

  it('ignores a saved position the feed does not hold (a store restored from an older copy) and still finds the head', async () => {
    const storage = storageOf(config('feedheadahead'));
    await new Feed(storage, 'counter').append(Array.from({ length: 1_200 }, (_, i) => entry(i + 1)));
    const lease = new BlobLease(await storage.container('counter'), relayLeaseName(0), 15);
    expect(await lease.tryAcquire('test')).toBe(true);
    await lease.write({ checkpointSeq: 5_000, cursors: {} });
    await lease.release();
    expect(await new Feed(storage, 'counter').head()).toBe(1_200);
  });

  it('a fresh reader of a merged feed starts from where the merger last saved its position, not from the journal first step', async () => {
    const storage = storageOf(config('feedheadmerged'));
    const journal = new MergeJournal(storage, 'counter');
    await journal.ready();
    // 600 one-entry steps (what the merger writes when entries trickle in one at a time).
    for (let start = 0; start < 600; start += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => journal.insert({ start: start + i, end: start + i + 1, from: [start + i, 0], to: [start + i + 1, 0] })));
    }
    const lease = new BlobLease(await storage.container('counter'), mergerLeaseName, 15);
    expect(await lease.tryAcquire('test')).toBe(true);
    await lease.write({ end: 590, to: [590, 0] });
    await lease.release();
    const reader = new MergedFeed('counter', [0, 1].map((p) => new Feed(storage, 'counter', p)), new MergeJournal(storage, 'counter'));
    const pages = vi.spyOn(reader.journal, 'from');
    expect(await reader.head()).toBe(600);
    expect(pages.mock.calls.map(([start]) => start).every((start) => start >= 590)).toBe(true);
    // A saved position the journal does not hold is ignored.
    const ahead = new MergedFeed('counter', [0, 1].map((p) => new Feed(storage, 'counter', p)), new MergeJournal(storage, 'counter'));
    expect(await lease.tryAcquire('test')).toBe(true);
    await lease.write({ end: 5_000, to: [5_000, 0] });
    await lease.release();
    expect(await ahead.head()).toBe(600);
  });
});
