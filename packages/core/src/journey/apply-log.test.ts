import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ApplyRecorder, applyLogDay, batchHolding, daysToSearch, expiredTables, type ApplyLog, type AppliedBatch } from './apply-log.ts';

const day = 86_400_000;
const noon = Date.parse('2026-12-07T12:00:00Z');

describe('batchHolding', () => {
  const batches: AppliedBatch[] = [
    { from: 0, seq: 10, at: 1 },
    { from: 10, seq: 25, at: 2 },
    { from: 25, seq: 26, at: 3 },
    { from: 26, seq: 40, at: 4 },
  ];

  it('finds the batch whose end is the first at or after the seq', () => {
    expect(batchHolding(batches, 1)?.at).toBe(1);
    expect(batchHolding(batches, 10)?.at).toBe(1);
    expect(batchHolding(batches, 11)?.at).toBe(2);
    expect(batchHolding(batches, 25)?.at).toBe(2);
    expect(batchHolding(batches, 26)?.at).toBe(3);
    expect(batchHolding(batches, 27)?.at).toBe(4);
    expect(batchHolding(batches, 40)?.at).toBe(4);
  });

  it('finds nothing past the last batch or in an empty row', () => {
    expect(batchHolding(batches, 41)).toBeUndefined();
    expect(batchHolding([], 1)).toBeUndefined();
  });

  it('claims no event before where a row starts (the first row after a swap, a lost write or the retention)', () => {
    const afterSwap: AppliedBatch[] = [{ from: 500, seq: 520, at: 9 }];
    expect(batchHolding(afterSwap, 12)).toBeUndefined();
    expect(batchHolding(afterSwap, 500)).toBeUndefined();
    expect(batchHolding(afterSwap, 501)?.at).toBe(9);
    // A gap between two batches (the oldest unsaved ones were let go) is no one's.
    expect(batchHolding([{ from: 0, seq: 5, at: 1 }, { from: 9, seq: 12, at: 2 }], 7)).toBeUndefined();
  });
});

describe('retention', () => {
  it('searches the day tables from a day before the placement to today, never past the retention', () => {
    expect(daysToSearch(noon, noon + day)).toEqual(['20261206', '20261207', '20261208']);
    expect(daysToSearch(noon - 30 * day, noon, 7)).toHaveLength(8);
    expect(daysToSearch(noon - 30 * day, noon, 7)[0]).toBe(applyLogDay(noon - 7 * day));
  });

  it('drops only this log’s day tables older than the retention', () => {
    const names = ['tbankingApplied20261129', 'tbankingApplied20261130', 'tbankingApplied20261207', 'tbankingAppliedX', 'tbankingEvents', 'tordersApplied20261101'];
    expect(expiredTables(names, 'tbankingApplied', noon, 7)).toEqual(['tbankingApplied20261129']);
  });
});

/** An apply log that keeps what it is asked to write. */
function memoryLog(): { log: ApplyLog; rows: { runner: string; generation: number; batches: AppliedBatch[] }[] } {
  const rows: { runner: string; generation: number; batches: AppliedBatch[] }[] = [];
  const log = {
    write: async (runner: string, generation: number, batches: AppliedBatch[]) => {
      rows.push({ runner, generation, batches: [...batches] });
    },
  } as unknown as ApplyLog;
  return { log, rows };
}

describe('ApplyRecorder', () => {
  const silent = pino({ level: 'silent' });

  it('writes only the batches the saved checkpoint covers, once', async () => {
    const { log, rows } = memoryLog();
    const recorder = new ApplyRecorder(log, 'balances', silent);
    recorder.applied(0, 5, 0, 100);
    recorder.applied(5, 9, 0, 200);
    recorder.applied(9, 12, 0, 300);
    recorder.saved(9, 0);
    await recorder.settled();
    recorder.saved(9, 0);
    await recorder.settled();
    expect(rows).toEqual([{ runner: 'balances', generation: 0, batches: [{ from: 0, seq: 5, at: 100 }, { from: 5, seq: 9, at: 200 }] }]);
    recorder.saved(12, 0);
    await recorder.settled();
    expect(rows[1]?.batches).toEqual([{ from: 9, seq: 12, at: 300 }]);
  });

  it('forgets what a restart took back: the successor’s reapplication is the one recorded', async () => {
    const { log, rows } = memoryLog();
    const recorder = new ApplyRecorder(log, 'balances', silent);
    recorder.applied(3, 7, 0, 100);
    recorder.reset();
    recorder.applied(3, 7, 0, 900);
    recorder.saved(7, 0);
    await recorder.settled();
    expect(rows.flatMap((row) => row.batches)).toEqual([{ from: 3, seq: 7, at: 900 }]);
  });

  it('records a generation’s batches under that generation only (a swap drops the old one’s)', async () => {
    const { log, rows } = memoryLog();
    const recorder = new ApplyRecorder(log, 'balances', silent);
    recorder.applied(2, 3, 0, 100);
    recorder.applied(3, 4, 1, 200);
    recorder.saved(4, 1);
    await recorder.settled();
    expect(rows).toEqual([{ runner: 'balances', generation: 1, batches: [{ from: 3, seq: 4, at: 200 }] }]);
  });

  it('keeps a bounded number of unsaved batches', async () => {
    const { log, rows } = memoryLog();
    const recorder = new ApplyRecorder(log, 'balances', silent);
    for (let seq = 1; seq <= 10_000; seq++) recorder.applied(seq - 1, seq, 0, seq);
    recorder.saved(10_000, 0);
    await recorder.settled();
    const written = rows.flatMap((row) => row.batches);
    expect(written.length).toBeLessThanOrEqual(4096);
    expect(written.at(-1)).toEqual({ from: 9_999, seq: 10_000, at: 10_000 });
    // An event whose batch was let go has no time, rather than another batch's.
    expect(batchHolding(written, 1)).toBeUndefined();
    expect(batchHolding(written, 10_000)?.at).toBe(10_000);
  });

  it('writes at most one row per interval however often the checkpoint is saved, and the last batches without another save', async () => {
    const { log, rows } = memoryLog();
    const recorder = new ApplyRecorder(log, 'balances', silent, 200);
    for (let seq = 1; seq <= 50; seq++) {
      recorder.applied(seq - 1, seq, 0, seq);
      recorder.saved(seq, 0);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(rows).toHaveLength(1); // the first save's batch, at once
    // The other 49 wait for the interval, then go in one row: no further save is needed.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(rows).toHaveLength(2);
    expect(rows[1]!.batches.map((b) => b.seq)).toEqual(Array.from({ length: 49 }, (_, i) => i + 2));
  });

  it('a failed write loses times, not the projection', async () => {
    const log = { write: async () => Promise.reject(new Error('storage down')) } as unknown as ApplyLog;
    const recorder = new ApplyRecorder(log, 'balances', silent);
    recorder.applied(0, 1, 0, 1);
    recorder.saved(1, 0);
    await expect(recorder.settled()).resolves.toBeUndefined();
  });
});
