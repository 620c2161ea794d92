/**
 * The admin API over the real runtime on Azurite and Redis: role refusals, the
 * projections overview, rebuilds while commands keep arriving, cancellation, dead
 * letters with retry and skip, and the live progress stream.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, defineContext, defineProjection, type Principal, type Role, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import counterContext, { counter, Incremented } from '@eventloom/counter-context';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/app.ts';
import { loadAuth } from '../src/auth/auth.ts';
import { expectProblem } from './test-gateway.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);

/** A context whose projection throws on `by: 13` while `broken`, to park events. */
let broken = true;
const tally = defineProjection({
  name: 'tally',
  tables: ['Tally'],
  handles: [Incremented.type],
  async apply(entry, { view }) {
    const data = entry.data as { counterId: string; by: number };
    if (broken && data.by === 13) throw new Error('unlucky number');
    await view('Tally').update('tally', data.counterId, (row) => ({ partitionKey: 'tally', rowKey: data.counterId, value: Number(row?.value ?? 0) + data.by }));
  },
});
const fragile = defineContext({ name: 'fragile', events: [Incremented], aggregates: [counter], projections: [tally] });
/** The same over a feed of two partitions, the projection run per partition. */
const spread = defineContext({ name: 'spread', feed: { partitions: 2 }, events: [Incremented], aggregates: [counter], projections: [{ ...tally, partitioned: true }] });

const principals: Record<Role, Principal> = {
  admin: { sub: 'admin', role: 'admin' },
  owner: { sub: 'owner.scotia', role: 'owner', bank: 'Scotia Bank' },
  consumer: { sub: 'consumer.demo', role: 'consumer', contexts: ['*'] },
};

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!haveAzurite)('admin API on Azurite and Redis', () => {
  let runtime: Runtime;
  let app: ReturnType<typeof createGateway>;
  const tokens = {} as Record<Role, string>;

  const call = (path: string, init: RequestInit & { as?: Role | null } = {}) => {
    const { as = 'admin', ...rest } = init;
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(as ? { Authorization: `Bearer ${tokens[as]}` } : {}) };
    return app.request(path, { ...rest, headers });
  };
  const increment = (context: string, id: string, by: number) =>
    runtime.context(context).execute('counter', 'increment', { id, by }, { principal: principals.owner });
  const rebuildState = async (context: string, projection: string) => {
    const response = await call(`/api/admin/rebuilds/${context}/${projection}`);
    return response.status === 200 ? ((await response.json()) as { state: string; done?: number; total?: number }) : undefined;
  };

  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-admin-')));
    const contexts = [counterContext, fragile, spread];
    runtime = await createRuntime({ contexts, config: testConfig({ name: 'adm', LOG_LEVEL: 'silent' }), logger });
    app = createGateway({ runtime, contexts, auth, logger });
    for (const role of Object.keys(principals) as Role[]) tokens[role] = (await auth.issue(principals[role])).token;
  });
  afterAll(() => runtime?.close());

  it('refuses every admin route without a token (401) and to owners and consumers (403), starting nothing', async () => {
    const routes: [string, string][] = [
      ['GET', '/api/admin/projections'],
      ['POST', '/api/admin/rebuilds'],
      ['GET', '/api/admin/rebuilds/counter/counters'],
      ['DELETE', '/api/admin/rebuilds/counter/counters'],
      ['GET', '/api/admin/dead-letters'],
      ['POST', '/api/admin/dead-letters/fragile/tally/1/retry'],
      ['POST', '/api/admin/dead-letters/fragile/tally/1/skip'],
      ['GET', '/api/admin/live'],
    ];
    for (const [method, path] of routes) {
      const body = method === 'POST' ? '{}' : undefined;
      await expectProblem(await call(path, { method, body, as: null }), 401);
      for (const role of ['owner', 'consumer'] as const) {
        const problem = await expectProblem(await call(path, { method, body, as: role }), 403);
        expect(problem.instance).toBe(path);
      }
    }
    expect(await runtime.context('counter').rebuilds.status('counters')).toBeUndefined();
  });

  it('lists every context’s projections with checkpoint, lag, events/s, state, generation and the worker holding each', async () => {
    for (let i = 0; i < 5; i++) await increment('counter', `ov${i}`, 2);
    const overview = await until('the counters view to catch up', async () => {
      const body = (await (await call('/api/admin/projections')).json()) as {
        contexts: { name: string; feedHead: number; relayWorker?: string; projections: Record<string, unknown>[] }[];
      };
      const counters = body.contexts.find((c) => c.name === 'counter')?.projections[0];
      return counters && Number(counters.checkpoint) >= 5 && counters.state === 'live' ? body : undefined;
    });
    // This process runs the workers: its relay and projections are held by its worker group id.
    expect(overview.contexts[0]!.relayWorker).toMatch(new RegExp(`:${process.pid}:`));
    expect(overview.contexts[0]!.projections[0]!.worker).toBe(overview.contexts[0]!.relayWorker);
    expect(overview.contexts.map((c) => c.name)).toEqual(['counter', 'fragile', 'spread']);
    expect(overview.contexts[0]!.projections[0]).toMatchObject({
      context: 'counter',
      name: 'counters',
      source: 'counter',
      lag: 0,
      state: 'live',
      generation: 0,
      deadLetters: 0,
      rebuild: null,
    });
    expect(overview.contexts[0]!.projections[0]!.eventsPerSecond).toEqual(expect.any(Number));
  });

  it('rebuilds a view while commands keep arriving; the view ends equal to a rebuild from the feed', async () => {
    for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => increment('counter', `r${(i + j) % 15}`, 1 + ((i + j) % 5))));
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) await increment('counter', `r${n++ % 15}`, 3);
    })();

    const started = await call('/api/admin/rebuilds', { method: 'POST', body: JSON.stringify({ projection: 'counters' }) });
    expect(started.status).toBe(202);
    const { rebuilds } = (await started.json()) as { rebuilds: { context: string; projection: string; state: string; id: string }[] };
    expect(rebuilds).toEqual([expect.objectContaining({ context: 'counter', projection: 'counters', state: 'requested' })]);

    const again = await call('/api/admin/rebuilds', { method: 'POST', body: JSON.stringify({ context: 'counter' }) });
    const conflict = await expectProblem(again, 409);
    expect(conflict).toMatchObject({ running: [expect.objectContaining({ projection: 'counters' })] });

    const done = await until('the rebuild to finish', async () => {
      const record = await rebuildState('counter', 'counters');
      return record?.state === 'done' ? record : undefined;
    }, 60_000);
    writing = false;
    await writer;
    expect(done.done).toBeGreaterThanOrEqual(200);

    // A rebuild from scratch is a fold of the whole feed; the feed trails the last commands by a moment.
    let last = '';
    await until('the live view to equal a fold of the whole feed', async () => {
      const fromFeed = new Map<string, number>();
      for (const entry of await runtime.context('counter').readFeed(0, 100_000)) {
        const { counterId, by } = entry.data as { counterId: string; by: number };
        fromFeed.set(counterId, (fromFeed.get(counterId) ?? 0) + by);
      }
      const { items } = (await (await call('/api/counter/counters')).json()) as { items: { id: string; value: number }[] };
      last = JSON.stringify({ view: items.map((i) => [i.id, i.value]), feed: [...fromFeed] });
      return items.length === fromFeed.size && items.every((item) => fromFeed.get(item.id) === item.value);
    }).catch((error: Error) => {
      throw new Error(`${error.message}: ${last}`);
    });
    // The overview is sampled at most once a second: the next sample shows the swap.
    const counters = await until('the overview to show the swapped generation', async () => {
      const overview = (await (await call('/api/admin/projections')).json()) as { contexts: { projections: { generation: number; rebuild: { state: string } }[] }[] };
      const projection = overview.contexts[0]!.projections[0]!;
      return projection.rebuild?.state === 'done' ? projection : undefined;
    }, 5_000);
    expect(counters).toMatchObject({ generation: 1, rebuild: { state: 'done' } });
  }, 90_000);

  it('cancels a running rebuild and refuses a cancel when none runs', async () => {
    // Enough history for the rebuild to take more than one step.
    const items = Array.from({ length: 4000 }, (_, i) => ({ key: `k${i}`, partition: `counter-bulk${i % 8}`, event: { type: Incremented.type, data: { counterId: `bulk${i % 8}`, by: 1 } } }));
    await runtime.context('counter').ingest(items, { principal: principals.admin });
    await until('the view to catch up', async () => {
      const { contexts } = (await (await call('/api/admin/projections')).json()) as { contexts: { projections: { lag: number; checkpoint: number }[] }[] };
      return contexts[0]!.projections[0]!.checkpoint >= 4000 && contexts[0]!.projections[0]!.lag === 0;
    }, 60_000);
    expect((await call('/api/admin/rebuilds', { method: 'POST', body: JSON.stringify({ context: 'counter', projection: 'counters' }) })).status).toBe(202);
    const cancelled = await call('/api/admin/rebuilds/counter/counters', { method: 'DELETE' });
    expect(cancelled.status).toBe(202);
    expect(await cancelled.json()).toMatchObject({ context: 'counter', projection: 'counters', state: 'cancel-requested' });
    await until('the rebuild to be cancelled', async () => (await rebuildState('counter', 'counters'))?.state === 'cancelled');
    await expectProblem(await call('/api/admin/rebuilds/counter/counters', { method: 'DELETE' }), 409);
  }, 120_000);

  it('names the known projections when asked to rebuild one that does not exist', async () => {
    const problem = await expectProblem(await call('/api/admin/rebuilds', { method: 'POST', body: JSON.stringify({ projection: 'nope' }) }), 404);
    expect(problem).toMatchObject({ known: ['counter/counters', 'fragile/tally', 'spread/tally'] });
    expect((problem as { detail?: string }).detail).toContain('counter/counters');
    await expectProblem(await call('/api/admin/rebuilds', { method: 'POST', body: JSON.stringify({ context: 'nope' }) }), 404);
    await expectProblem(await call('/api/admin/rebuilds/counter/nope'), 404);
  });

  it('lists parked events with their error and retries or skips them', async () => {
    broken = true;
    await increment('fragile', 'f1', 13);
    await increment('fragile', 'f2', 13);
    await increment('fragile', 'f1', 1);
    type Letter = { context: string; projection: string; seq: number; error: string; state: string };
    const letters = await until('two dead letters', async () => {
      const { items } = (await (await call('/api/admin/dead-letters?context=fragile')).json()) as { items: Letter[] };
      return items.length === 2 ? items : undefined;
    });
    expect(letters[0]).toMatchObject({ context: 'fragile', projection: 'tally', state: 'parked' });
    expect(letters[0]!.error).toContain('unlucky number');
    await until('the overview to count them', async () => {
      const overview = (await (await call('/api/admin/projections')).json()) as { contexts: { name: string; projections: { deadLetters: number }[] }[] };
      return overview.contexts.find((c) => c.name === 'fragile')!.projections[0]!.deadLetters === 2;
    });

    broken = false;
    const [second, first] = letters.sort((a, b) => b.seq - a.seq);
    const retried = await call(`/api/admin/dead-letters/fragile/tally/${first!.seq}/retry`, { method: 'POST' });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ seq: first!.seq, state: 'retry-requested' });
    const skipped = await call(`/api/admin/dead-letters/fragile/tally/${second!.seq}/skip`, { method: 'POST' });
    expect(await skipped.json()).toMatchObject({ seq: second!.seq, state: 'skipped' });

    await until('the retried event to reach the view', async () => (await runtime.context('fragile').views.get('Tally', 'tally', 'f1'))?.value === 14);
    const { items } = (await (await call('/api/admin/dead-letters?context=fragile&projection=tally')).json()) as { items: Letter[] };
    expect(items.map((l) => l.state).sort()).toEqual(['retried', 'skipped']);
    expect(await runtime.context('fragile').views.get('Tally', 'tally', 'f2')).toBeUndefined();
    await expectProblem(await call('/api/admin/dead-letters/fragile/tally/99999/retry', { method: 'POST' }), 404);
  }, 60_000);

  it('shows a partitioned projection per partition and as a whole, and retries a parked event by the runner that parked it', async () => {
    broken = true;
    // Counters of both partitions, one unlucky.
    const ids = Array.from({ length: 8 }, (_, i) => `sp${i}`);
    for (const id of ids) await increment('spread', id, id === 'sp3' ? 13 : 2);
    type Runner = { partition: number; checkpoint: number; lag: number; state: string; worker?: string };
    const projection = await until('both partitions applied', async () => {
      const body = (await (await call('/api/admin/projections')).json()) as { contexts: { name: string; partitions?: { head: number }[]; projections: (Record<string, unknown> & { partitions?: Runner[] })[] }[] };
      const context = body.contexts.find((c) => c.name === 'spread')!;
      const tallyView = context.projections[0]!;
      return tallyView.checkpoint === 8 && tallyView.partitions?.every((p) => p.lag === 0 && p.state === 'live') ? { context, tallyView } : undefined;
    });
    expect(projection.tallyView.partitions!.map((p) => p.partition)).toEqual([0, 1]);
    expect(projection.tallyView.partitions!.map((p) => p.checkpoint)).toEqual(projection.context.partitions!.map((p) => p.head));
    expect(projection.tallyView.partitions!.every((p) => p.worker === projection.tallyView.worker)).toBe(true);

    type Letter = { projection: string; seq: number; state: string };
    const [letter] = await until('the unlucky event parked', async () => {
      const { items } = (await (await call('/api/admin/dead-letters?context=spread&projection=tally')).json()) as { items: Letter[] };
      return items.length === 1 ? items : undefined;
    });
    expect(letter!.projection).toMatch(/^tally(~p1)?$/);
    broken = false;
    const retried = await call(`/api/admin/dead-letters/spread/${letter!.projection}/${letter!.seq}/retry`, { method: 'POST' });
    expect(retried.status).toBe(202);
    await until('the retried event to reach the view', async () => (await runtime.context('spread').views.get('Tally', 'tally', 'sp3'))?.value === 13);
    await expectProblem(await call(`/api/admin/dead-letters/spread/tally~p7/${letter!.seq}/retry`, { method: 'POST' }), 404);
  }, 60_000);

  it('streams rebuild progress and the projections overview to an admin', async () => {
    const response = await call('/api/admin/live');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const read = async (pattern: RegExp) => {
      while (!pattern.test(received)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        received += value;
      }
    };
    await read(/event: ready/);
    await read(/event: projections\ndata: \{"at"/);
    expect((await call('/api/admin/rebuilds', { method: 'POST', body: JSON.stringify({ context: 'fragile' }) })).status).toBe(202);
    await read(/event: rebuild\ndata: \{[^\n]*"state":"done"/);
    expect(received).toMatch(/"context":"fragile","id"|"context":"fragile"/);
    await reader.cancel();
  }, 30_000);
});

/** While true, the mirror view's storage "answers 503": its worker's steps fail, nothing is parked. */
let mirrorDown = true;
const mirror = defineProjection({
  name: 'mirror',
  tables: ['Mirror'],
  handles: [Incremented.type],
  async apply(entry, { view }) {
    if (mirrorDown) throw Object.assign(new Error('Mirror table unreachable (503 from storage)'), { statusCode: 503 });
    const data = entry.data as { counterId: string; by: number };
    await view('Mirror').update('mirror', data.counterId, (row) => ({ partitionKey: 'mirror', rowKey: data.counterId, value: Number(row?.value ?? 0) + data.by }));
  },
});
const mirrored = defineContext({ name: 'mirrored', events: [Incremented], aggregates: [counter], projections: [mirror] });

describe.skipIf(!haveAzurite)('admin API beside a separate worker process', () => {
  it('shows a projection whose worker keeps failing as failed with its error, and live once it recovers', { timeout: 60_000 }, async () => {
    const logger = pino({ level: 'silent' });
    const config = testConfig({ name: 'admsep', LOG_LEVEL: 'silent' });
    const auth = await loadAuth(await mkdtemp(join(tmpdir(), 'eventloom-admin-')));
    const gatewayRuntime = await createRuntime({ contexts: [mirrored], config, logger, workers: false });
    const worker = await createRuntime({ contexts: [mirrored], config, logger, workers: true });
    try {
      const app = createGateway({ runtime: gatewayRuntime, contexts: [mirrored], auth, logger });
      const { token } = await auth.issue(principals.admin);
      const status = async () => {
        const response = await app.request('/api/admin/projections', { headers: { Authorization: `Bearer ${token}` } });
        const body = (await response.json()) as { contexts: { projections: { state: string; checkpoint: number; error?: string }[] }[] };
        return body.contexts[0]!.projections[0]!;
      };
      await gatewayRuntime.context('mirrored').execute('counter', 'increment', { id: 'm1', by: 3 }, { principal: principals.owner });
      const failing = await until('the mirror reported failing', async () => {
        const projection = await status();
        return projection.state === 'failed' ? projection : undefined;
      });
      expect(failing.error).toMatch(/Mirror table unreachable/);

      mirrorDown = false;
      const live = await until('the mirror live again', async () => {
        const projection = await status();
        return projection.state === 'live' && projection.checkpoint === 1 ? projection : undefined;
      });
      expect(live.error).toBeUndefined();
    } finally {
      await worker.close();
      await gatewayRuntime.close();
    }
  });
});
