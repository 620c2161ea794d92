import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate } from '../src/command/define-aggregate.ts';
import type { CommandAccepted } from '../src/context/context-runtime.ts';
import { defineContext } from '../src/context/define-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import { defineEvent } from '../src/events/define-event.ts';
import type { EventEnvelope } from '../src/events/envelope.ts';
import { problems } from '../src/http/problem.ts';
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

// Process managers send one step from two places at once (the request that started the
// instance, a worker's sweep). A send decided after its twin had landed was refused on the
// state the twin left ("empty"), though its key was the twin's: the caller was told no for
// a command that had been applied.
describe('a command sent again while its first send is in flight', () => {
  const Drawn = defineEvent('Drawn', { schema: z.object({ amount: z.number() }) });
  const Filled = defineEvent('Filled', { schema: z.object({ amount: z.number() }) });
  const input = z.object({ id: z.string(), amount: z.number().int().positive() });
  const tank = defineAggregate({
    name: 'tank',
    initialState: () => ({ level: 0 }),
    evolve: (state: { level: number }, event: EventEnvelope) => ({ level: state.level + (event.type === 'Filled' ? 1 : -1) * (event.data as { amount: number }).amount }),
    commands: {
      fill: { schema: input, stream: (i: z.infer<typeof input>) => `tank-${i.id}`, decide: (i: z.infer<typeof input>) => [Filled({ amount: i.amount })] },
      draw: {
        schema: input,
        stream: (i: z.infer<typeof input>) => `tank-${i.id}`,
        decide: (i: z.infer<typeof input>, state: { level: number }) => {
          if (i.amount > state.level) throw problems.rejected('empty', `the tank holds ${state.level}`);
          return [Drawn({ amount: i.amount })];
        },
      },
    },
  });
  const tanks = defineContext({ name: 'tanks', events: [Drawn, Filled], aggregates: [tank], projections: [] });

  it('is answered with the first send’s result, never refused on the state the first left, in one process or two', async () => {
    const cfg = config('twinsend');
    const one = closer.add(await createRuntime({ contexts: [tanks], config: cfg, workers: false }));
    const two = closer.add(await createRuntime({ contexts: [tanks], config: cfg, workers: false }));
    await one.context('tanks').execute('tank', 'fill', { id: 't', amount: 100 }, { principal: owner });
    const send = (runtime: typeof one) => runtime.context('tanks').execute('tank', 'draw', { id: 't', amount: 60 }, { principal: owner, idempotencyKey: 'step-draw' });
    const answers = await Promise.allSettled([send(one), send(one), send(two), send(two), send(one)]);
    const refused = answers.filter((a) => a.status === 'rejected').map((a) => ((a as PromiseRejectedResult).reason as Error).message);
    expect(refused).toEqual([]);
    const accepted = answers.map((a) => (a as PromiseFulfilledResult<CommandAccepted>).value);
    expect(accepted.filter((a) => !a.duplicate)).toHaveLength(1);
    expect(new Set(accepted.map((a) => a.commandId)).size).toBe(1);
    expect((await one.context('tanks').loadState<{ level: number }>('tank', 'tank-t')).state.level).toBe(40);
  });
});
