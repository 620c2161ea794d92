/**
 * A rebuild's shadow that fails on the same event as the live view parks its own letter:
 * it must not take the live view's letter with it when the rebuild is cancelled (found by
 * `pnpm sim --seed 203` with the shadow saved less often: the Audit view lost an event
 * whose only letter had become the cancelled shadow's, superseded with it).
 */
import { describe, expect, it } from 'vitest';
import { DeadLetterBook, type DeadLetter } from '../src/projection/dead-letters.ts';
import { config, counterRuntime, local, storageOf } from './helpers.ts';

const letter = (generation: number): DeadLetter => ({
  projection: 'counters',
  seq: 97,
  eventId: 'e97',
  type: 'Deposited',
  stream: 'acct-1',
  error: 'handler failed',
  at: new Date(0).toISOString(),
  state: 'parked',
  attempts: 3,
  generation,
});

describe('dead letters of two generations at one seq', () => {
  it('keeps the live generation’s letter when a cancelled shadow’s is superseded, and a retry reaches it', async () => {
    const cfg = config('lettergen');
    const storage = storageOf(cfg);
    const book = new DeadLetterBook(await storage.table('counter', 'DeadLetters'), 'counters');
    await book.park(letter(0)); // the live view lacks seq 97
    await book.park(letter(1)); // the rebuild's shadow failed on it too
    await book.supersede(1, 'this generation'); // the rebuild is cancelled
    const rows: DeadLetter[] = [];
    for await (const row of (await storage.table('counter', 'DeadLetters')).listEntities<DeadLetter>()) rows.push(row);
    expect(rows.map((r) => [Number(r.generation), r.state]).sort()).toEqual([
      [0, 'parked'],
      [1, 'superseded'],
    ]);
    // The admin's retry (by seq) reaches the live generation's letter, which the live runner then retries.
    const runtime = await counterRuntime(cfg, { workers: false });
    try {
      await local(runtime).resolveDeadLetter('counters', 97, 'retry');
    } finally {
      await runtime.close();
    }
    expect((await book.requested(0)).map((l) => [l.seq, l.generation])).toEqual([[97, 0]]);
  });
});
