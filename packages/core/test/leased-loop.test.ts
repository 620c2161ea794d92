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

/** A memory lease that counts its releases. */
function countingLease() {
  const lease = memoryLease();
  let releases = 0;
  const release = lease.release.bind(lease);
  (lease as unknown as { release: () => Promise<void> }).release = async () => {
    releases++;
    await release();
  };
  return { lease, releases: () => releases };
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

  // Bench T (account throttled): relays and the merger that met ServerBusy past the SDK's
  // retries gave their leases up, and every recovery cost another lease and more reads.
  it('keeps its lease when storage is busy (503), recovering its work under the lease it holds', async () => {
    const { lease, releases } = countingLease();
    let starts = 0;
    let steps = 0;
    const work = {
      start: async () => void starts++,
      step: async () => {
        steps++;
        if (steps === 2) throw Object.assign(new Error('The server is busy.'), { statusCode: 503 });
        return false;
      },
      stop: () => undefined,
    };
    const loop = new LeasedLoop(lease, work, { idleMs: 5, log: pino({ level: 'silent' }) });
    loop.start();
    for (let i = 0; i < 200 && steps < 4; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(steps).toBeGreaterThanOrEqual(4);
    expect(releases()).toBe(0);
    expect(lease.held).toBe(true);
    expect(starts).toBe(2);
    expect(loop.state).toBe('active');
    await loop.stop();
  });

  it('gives its lease up when its work fails for any other reason', async () => {
    const { lease, releases } = countingLease();
    let steps = 0;
    const work = {
      start: async () => undefined,
      step: async () => {
        steps++;
        if (steps === 1) throw new Error('feed insert met 409: another relay placed it');
        return false;
      },
      stop: () => undefined,
    };
    const loop = new LeasedLoop(lease, work, { idleMs: 5, log: pino({ level: 'silent' }) });
    loop.start();
    for (let i = 0; i < 200 && steps < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(releases()).toBe(1);
    await loop.stop();
  });
});
