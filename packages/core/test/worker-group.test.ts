/**
 * Worker processes of one store share their leases and take over from one another
 * without waiting for a lease to expire (worker/group.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/create-runtime.ts';
import type { Runtime } from '../src/runtime.ts';
import { startCounterChild } from './child-process.ts';
import { Closer, config, counter, counterRuntime, local, owner, waitUntil } from './helpers.ts';
import { expectRecovered, feedLength } from './kill-helpers.ts';

const closer = new Closer();
afterAll(() => closer.closeAll());

/** Which worker holds each lease, as a runtime reports it (relays and projections). */
async function holders(runtime: Runtime): Promise<Map<string, string | undefined>> {
  const held = new Map<string, string | undefined>();
  for (const context of await runtime.stats()) {
    held.set(`${context.name}/relay`, context.relayWorker);
    for (const projection of context.projections) held.set(`${context.name}/${projection.name}`, projection.state === 'standby' ? undefined : projection.worker);
  }
  return held;
}

const countOf = (held: Map<string, string | undefined>, worker: string | undefined) => [...held.values()].filter((w) => w === worker).length;

describe('worker groups', () => {
  // With 60 s leases, only the group can hand the work over within the test's time.
  it('a standby takes over the leases of a SIGKILLed worker without waiting for them to expire, and loses or doubles nothing', { timeout: 60_000 }, async () => {
    const cfg = config('group-kill');
    const child = startCounterChild(cfg, { CHILD_WORKERS: '1', CHILD_COUNTERS: '10', CHILD_CONCURRENCY: '4', CHILD_LIMIT: '200', CHILD_LEASE_SECONDS: '60' });
    closer.defer(() => child.kill());
    await child.waitFor((m) => m.ready === true);
    await waitUntil('the child relaying', async () => (await feedLength(cfg)) > 20, 15_000, 50);

    // A gateway-like runtime (no workers) reads who holds what from the workers' beats.
    const observer = closer.add(await counterRuntime(cfg, { workers: false }));
    await waitUntil('the child holding both leases', async () => {
      const held = await holders(observer);
      return held.get('counter/relay') !== undefined && held.get('counter/relay') === held.get('counter/counters');
    });
    const childWorker = (await holders(observer)).get('counter/relay');
    const standby = closer.add(await counterRuntime(cfg, { tuning: { leaseSeconds: 60 } }));
    await child.kill();

    // The standby's own commands reach the feed only once it holds the relay.
    for (let i = 0; i < 20; i++) await local(standby).execute('counter', 'increment', { id: `after-${i % 3}`, by: 1 }, { principal: owner });
    await waitUntil('the standby holding every lease', async () => countOf(await holders(standby), childWorker) === 0 && countOf(await holders(standby), undefined) === 0, 30_000, 250);
    await expectRecovered(cfg, standby, 20_000);
  });

  it('a worker that joins a busy one gets its fair share of the leases, and nothing moves once shared', { timeout: 90_000 }, async () => {
    const cfg = config('group-share');
    // Three copies of the counter context: six leases (a relay and a projection each).
    const contexts = ['counter', 'tallyb', 'tallyc'].map((name) => ({ ...counter, name }));
    const first = closer.add(await createRuntime({ contexts, config: cfg }));
    const total = (await holders(first)).size;
    expect(total).toBeGreaterThanOrEqual(4);
    await waitUntil('the first worker holding every lease', async () => countOf(await holders(first), undefined) === 0, 20_000, 250);

    closer.add(await createRuntime({ contexts, config: cfg }));
    const ids = async () => {
      const held = await holders(first);
      return [...new Set([...held.values()].filter((w): w is string => w !== undefined))];
    };
    await waitUntil(
      'both workers holding their share',
      async () => {
        const held = await holders(first);
        const workers = await ids();
        return workers.length === 2 && workers.every((w) => countOf(held, w) >= Math.floor(total / 2)) && countOf(held, undefined) === 0;
      },
      45_000,
      500,
    );

    // Shared: for the next rebalance rounds nobody hands anything over.
    const settled = await holders(first);
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    expect(await holders(first)).toEqual(settled);
  });
});
