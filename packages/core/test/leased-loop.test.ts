import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BlobLease } from '../src/worker/blob-lease.ts';
import { LeasedLoop } from '../src/worker/leased-loop.ts';

/** A lease that is free until taken, in memory. */
function memoryLease() {
  let held = false;
  return {
    name: 'test',
    get held() {
      return held;
    },
    renewEveryMs: 5_000,
    async tryAcquire() {
      held = true;
      return true;
    },
    async renew() {
      return held;
    },
    async release() {
      held = false;
    },
  } as unknown as BlobLease;
}

describe('a leased loop', () => {
  // Its process's fair share counts what it holds: a lease being recovered right after it
  // was taken counts too, or the process would take one more and hand it back later.
  it('counts as holding its lease from the moment it takes it, while its work is still recovering', async () => {
    let recovered: () => void = () => undefined;
    const work = {
      start: () => new Promise<void>((resolve) => (recovered = resolve)),
      step: async () => false,
      stop: () => undefined,
    };
    const loop = new LeasedLoop(memoryLease(), work, { idleMs: 10, log: pino({ level: 'silent' }) });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(loop.state).toBe('standby');
    expect(loop.holding).toBe(true);
    recovered();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(loop.state).toBe('active');
    expect(loop.holding).toBe(true);
    await loop.stop();
    expect(loop.holding).toBe(false);
  });
});
