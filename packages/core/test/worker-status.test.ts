import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate } from '../src/command/define-aggregate.ts';
import { defineContext } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineEvent } from '../src/events/define-event.ts';
import { defineProjection } from '../src/projection/define-projection.ts';
import type { ProjectionStats, Runtime } from '../src/runtime.ts';
import { Closer, config, owner, waitUntil } from './helpers.ts';

const closer = new Closer();
afterAll(() => closer.closeAll());

const Pinged = defineEvent('Pinged', { schema: z.object({ pingerId: z.string() }) });
const pinger = defineAggregate({
  name: 'pinger',
  initialState: () => ({}),
  evolve: (state: object) => state,
  commands: {
    ping: {
      schema: z.object({ id: z.string() }),
      stream: (input: { id: string }) => `pinger-${input.id}`,
      decide: (input: { id: string }) => [Pinged({ pingerId: input.id })],
    },
  },
});
/** While true, the view's storage "answers 503": the worker's steps fail (nothing is parked). */
let viewStorageDown = false;
const pings = defineProjection({
  name: 'pings',
  tables: ['Pings'],
  handles: ['Pinged'],
  async apply(entry, { view }) {
    if (viewStorageDown) throw Object.assign(new Error('view storage unreachable (test)'), { statusCode: 503 });
    const { pingerId } = entry.data as { pingerId: string };
    await view('Pings').update('pinger', pingerId, (row) => ({ partitionKey: 'pinger', rowKey: pingerId, count: Number(row?.count ?? 0) + 1 }));
  },
});
const pinging = defineContext({ name: 'pinging', events: [Pinged], aggregates: [pinger], projections: [pings] });

async function standing(runtime: Runtime): Promise<ProjectionStats> {
  const [context] = await runtime.stats();
  return context!.projections[0]!;
}

describe('worker status across processes', () => {
  it('a gateway without workers sees the worker process fail, recover and go away', { timeout: 40_000 }, async () => {
    const cfg = config('beats');
    const gateway = closer.add(await createRuntime({ contexts: [pinging], config: cfg, workers: false }));
    expect((await standing(gateway)).state).toBe('standby');

    viewStorageDown = true;
    const worker = closer.add(await createRuntime({ contexts: [pinging], config: cfg, workers: true }));
    await gateway.context('pinging').execute('pinger', 'ping', { id: 'a' }, { principal: owner });
    await waitUntil('the gateway sees the projection failing', async () => (await standing(gateway)).state === 'failed', 15_000);
    expect((await standing(gateway)).error).toMatch(/view storage unreachable/);

    viewStorageDown = false;
    await waitUntil('the gateway sees it live at seq 1', async () => {
      const stats = await standing(gateway);
      return stats.state === 'live' && stats.checkpoint === 1 && stats.error === undefined;
    }, 15_000);
    expect((await gateway.stats())[0]!.feedHead).toBe(1);

    await worker.close();
    await waitUntil('the gateway sees nobody running it', async () => (await standing(gateway)).state === 'standby', 5_000);
    expect((await standing(gateway)).checkpoint).toBe(1);
  });
});
