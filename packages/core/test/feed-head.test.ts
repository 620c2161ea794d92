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
  it('reads what came since the head it last saw, not the whole feed again', async () => {
    const storage = storageOf(config('feedhead'));
    const writer = new Feed(storage, 'counter');
    await writer.append(Array.from({ length: 2_500 }, (_, i) => entry(i + 1)));
    // A reader in another process (a gateway's stats, the admin page) knows nothing yet.
    const reader = new Feed(storage, 'counter');
    const reads = vi.spyOn(reader as unknown as { keysAfter: (after: number, limit: number) => Promise<number[]> }, 'keysAfter');
    expect(await reader.head()).toBe(2_500);
    expect(reads.mock.calls.length).toBeGreaterThanOrEqual(3);
    reads.mockClear();
    await writer.append([entry(2_501), entry(2_502)]);
    expect(await reader.head()).toBe(2_502);
    expect(reads.mock.calls.map(([after]) => after)).toEqual([2_500, 2_502]);
  });
});
