import { afterAll, describe, expect, it } from 'vitest';
import type { CommandAccepted } from '../src/context/context-runtime.ts';
import { Closer, config, counterRuntime, owner, storageOf, storeEvents } from './helpers.ts';

const closer = new Closer();
afterAll(() => closer.closeAll());

describe('commands through the runtime', () => {
  it('concurrent commands with one idempotency key are applied once; every caller gets the same answer', async () => {
    const cfg = config('idem');
    const runtime = closer.add(await counterRuntime(cfg, { workers: false }));
    const context = runtime.context('counter');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => context.execute('counter', 'increment', { id: 'once', by: 3 }, { principal: owner, idempotencyKey: 'pay-2024-05-01.x' })),
    );
    const fresh = answers.filter((a) => !a.duplicate);
    expect(fresh).toHaveLength(1);
    for (const answer of answers) {
      expect(answer.commandId).toBe(fresh[0]!.commandId);
      expect(answer.events.map((e) => e.id)).toEqual(fresh[0]!.events.map((e) => e.id));
    }
    const again = await context.execute('counter', 'increment', { id: 'once', by: 3 }, { principal: owner, idempotencyKey: 'pay-2024-05-01.x' });
    expect(again).toMatchObject({ duplicate: true, commandId: fresh[0]!.commandId });
    expect((await storeEvents(storageOf(cfg))).get('counter-once')).toHaveLength(1);
    expect(await context.loadState('counter', 'counter-once')).toEqual({ state: { value: 3 }, version: 1 });
  });

  it('20 concurrent commands on one stream lose no update: each is applied at its own version or refused as busy', async () => {
    const cfg = config('busy');
    const runtime = closer.add(await counterRuntime(cfg, { workers: false }));
    const context = runtime.context('counter');
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => context.execute('counter', 'increment', { id: 'hot', by: i + 1 }, { principal: owner })));
    const applied = results.filter((r): r is PromiseFulfilledResult<CommandAccepted> => r.status === 'fulfilled').map((r) => r.value);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of refused) expect(r.reason).toMatchObject({ status: 409 });
    expect(applied.length).toBeGreaterThan(0);
    const versions = applied.map((a) => a.events[0]!.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: applied.length }, (_, i) => i + 1));
    const sum = applied.reduce((n, a) => n + (a.events[0]!.data as { by: number }).by, 0);
    expect(await context.loadState('counter', 'counter-hot')).toEqual({ state: { value: sum }, version: applied.length });
  });

  it('refuses a command whose stream id Azure cannot hold, writing nothing', async () => {
    const cfg = config('badid');
    const runtime = closer.add(await counterRuntime(cfg, { workers: false }));
    // the counter's own schema refuses it first (400 problem)
    await expect(runtime.context('counter').execute('counter', 'increment', { id: 'a/b', by: 1 }, { principal: owner })).rejects.toMatchObject({ status: 400 });
    expect((await storeEvents(storageOf(cfg))).size).toBe(0);
  });
});
