import { createRuntime, type ProcessRunner, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import banking from '../src/index.ts';
import { principals } from '../src/testing.ts';
import { transferProcess, type TransferRequest, type TransferState } from '../src/transfer/process.ts';
import { bankingApi } from './harness.ts';

// A short deadline so that a silent bank times out within the test.
const definition = { ...banking, processes: [transferProcess({ depositTimeoutMs: 400, graceMs: 200 })] };
const running: Runtime[] = [];
afterAll(() => Promise.all(running.map((runtime) => runtime.close())));

async function start(name: string, config = testConfig({ name, LOG_LEVEL: 'silent' })) {
  const runtime = await createRuntime({ contexts: [definition], config, tuning: { processIdleMs: 100, processQuietMs: 300 } });
  running.push(runtime);
  const context = runtime.context('banking');
  const transfers = (context as unknown as { processes: Map<string, ProcessRunner<TransferState, TransferRequest>> }).processes.get('transfer')!;
  const balance = async (customer: string, bank: string) => (await context.loadState<{ balanceCents: number }>('account', `account-${customer}-${bank}`)).state.balanceCents;
  const deposit = (customer: string, bank: 'republic' | 'scotia', amountCents: number) => context.execute('account', 'deposit', { customer, bank, amountCents }, { principal: principals.admin });
  return { runtime, context, transfers, balance, deposit };
}

/** The instance once finished: a step storage left unanswered is sent again by the sweep. */
async function finished(transfers: ProcessRunner<TransferState, TransferRequest>, id: string) {
  for (let i = 0; i < 100; i++) {
    const instance = await transfers.load(id);
    if (instance?.done) return instance;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`transfer ${id} did not finish in 10 s`);
}

const request = (transferId: string, amountCents: number): TransferRequest => ({
  transferId,
  from: { customer: 'U1001', bank: 'republic' },
  to: { customer: 'U1001', bank: 'scotia' },
  amountCents,
  requestedBy: 'owner.republic',
});

describe('cross-bank transfers on the store', () => {
  it('moves the money: withdrawn at A, deposited at B with the transfer id, completed', async () => {
    const { transfers, balance, deposit, context } = await start('xfer-ok');
    await deposit('U1001', 'republic', 100_000);
    await transfers.begin(request('t1', 25_000), { principal: principals.admin });
    expect(await finished(transfers, 't1')).toMatchObject({ state: { step: 'completed' } });
    expect([await balance('U1001', 'republic'), await balance('U1001', 'scotia')]).toEqual([75_000, 25_000]);
    const [landed] = (await context.readStream('account-U1001-scotia')).filter((e) => e.type === 'Deposited');
    // Made on the platform's authority, it records who started the transfer and carries the transfer's correlation id.
    expect(landed!.data).toMatchObject({ transferId: 't1', amountCents: 25_000, requestedBy: 'owner.republic' });
    expect(landed!.who).toBe('process:transfer');
    expect(landed!.correlationId).toBe((await transfers.load('t1'))!.correlationId);
  });

  it('is rejected with nothing moved when A has too little', async () => {
    const { transfers, balance, deposit, context } = await start('xfer-short');
    await deposit('U1001', 'republic', 1_000);
    await transfers.begin(request('t2', 5_000), { principal: principals.admin });
    expect(await finished(transfers, 't2')).toMatchObject({ state: { step: 'rejected', reason: 'insufficient-funds' } });
    const [rejected] = (await transfers.load('t2'))!.history.length ? (await context.readStream('transfer-t2')).filter((e) => e.type === 'TransferRejected') : [];
    expect(rejected!.data).toMatchObject({ transferId: 't2', reason: 'insufficient-funds', amountCents: 5_000 });
    expect([await balance('U1001', 'republic'), await balance('U1001', 'scotia')]).toEqual([1_000, 0]);
  });

  it("stores a transfer's refused withdrawal under its step's key: sent again once the funds are there, it answers the refusal and moves nothing", async () => {
    const { context, balance, deposit } = await start('xfer-fence');
    await deposit('U1001', 'republic', 1_000);
    const withdraw = () =>
      context.execute('account', 'withdraw', { customer: 'U1001', bank: 'republic', amountCents: 5_000, transfer: { id: 't-fence' } }, { principal: principals.admin, idempotencyKey: 'transfer:t-fence:withdraw' });
    const first = await withdraw();
    expect(first.events.map((e) => e.type)).toEqual(['TransferWithdrawalRefused']);
    expect(first.events[0]!.data).toMatchObject({ transferId: 't-fence', code: 'insufficient-funds', amountCents: 5_000 });
    // The funds arrive; a second sender of the step (a sweep that loaded the instance before the answer) sends it again.
    await deposit('U1001', 'republic', 10_000);
    const again = await withdraw();
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    expect(await balance('U1001', 'republic')).toBe(11_000);
    // Only the platform's process names a transfer: an owner's withdrawal with one is refused.
    await expect(
      context.execute('account', 'withdraw', { customer: 'U1001', bank: 'republic', amountCents: 5, transfer: { id: 't-x' } }, { principal: principals.republicOwner }),
    ).rejects.toMatchObject({ status: 403 });
    // People's refusals still write nothing.
    await expect(context.execute('account', 'withdraw', { customer: 'U1001', bank: 'republic', amountCents: 50_000 }, { principal: principals.republicOwner })).rejects.toMatchObject({ status: 422 });
  });

  it('refunds A when B is frozen, after fencing the deposit: money conserved, B untouched', async () => {
    const { transfers, balance, deposit, context } = await start('xfer-frozen');
    await deposit('U1001', 'republic', 50_000);
    await deposit('U1001', 'scotia', 10);
    await context.execute('account', 'freeze', { customer: 'U1001', bank: 'scotia' }, { principal: principals.admin });
    await transfers.begin(request('t3', 20_000), { principal: principals.admin });
    expect(await finished(transfers, 't3')).toMatchObject({ state: { step: 'compensated', reason: 'account-frozen' } });
    expect((await context.readStream('transfer-t3')).filter((e) => e.type !== 'ProcessStepped').map((e) => [e.type, (e.data as { reason?: string }).reason])).toEqual([
      ['TransferStarted', undefined],
      ['TransferCompensated', 'account-frozen'],
    ]);
    expect([await balance('U1001', 'republic'), await balance('U1001', 'scotia')]).toEqual([50_000, 10]);
    // Unfrozen later, the transfer's deposit can no longer land: it was expired before the refund.
    await context.execute('account', 'unfreeze', { customer: 'U1001', bank: 'scotia' }, { principal: principals.admin });
    const late = { customer: 'U1001', bank: 'scotia', amountCents: 20_000, memo: 'transfer t3 from republic', transfer: { id: 't3', notAfter: new Date(Date.now() + 60_000).toISOString() } };
    await expect(context.execute('account', 'deposit', late, { principal: principals.admin })).rejects.toMatchObject({ problem: { type: expect.stringMatching(/transfer-expired$/) } });
    expect(await balance('U1001', 'scotia')).toBe(10);
  });
});

describe('transfers through the API', () => {
  it('an owner moves money from an account at their bank to another bank; the status tells each step; a repeat starts nothing', async () => {
    const api = await bankingApi('xfer-api');
    running.push(api.runtime);
    await api.post('/accounts/U1001/republic/deposits', { amountCents: 10_000 }, 'republicOwner', { Prefer: 'wait=5' });
    const body = { transferId: 'api-1', from: { customer: 'U1001', bank: 'republic' }, to: { customer: 'U1001', bank: 'scotia' }, amountCents: 4_000 };
    const reply = await api.post('/transfers', body, 'republicOwner', { Prefer: 'wait=5' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ transferId: 'api-1', step: 'completed', done: true, requestedBy: 'owner.republic', statusUrl: '/api/banking/transfers/api-1', duplicate: false });
    expect(reply.body.timeline.map((t: { input: string; step: string }) => `${t.input} → ${t.step}`)).toEqual(['start → withdrawing', 'withdraw accepted → depositing', 'deposit accepted → completed']);
    // The receiving bank's owner may follow it; a third bank's owner may not see it exists.
    expect((await api.get('/transfers/api-1', 'scotiaOwner')).body).toMatchObject({ step: 'completed' });
    expect((await api.get('/transfers/api-1', 'firstCitizensOwner')).status).toBe(404);
    // Its lifecycle is published: started and completed, stored once with the decisions, linking here.
    const lifecycle = (await api.context.readStream('transfer-api-1')).filter((e) => e.type !== 'ProcessStepped');
    expect(lifecycle.map((e) => e.type)).toEqual(['TransferStarted', 'TransferCompleted']);
    expect(lifecycle[0]!.data).toEqual({ transferId: 'api-1', from: body.from, to: body.to, amountCents: 4_000, requestedBy: 'owner.republic' });
    const published = api.context.definition.contracts!.published!.find((c) => c.event.type === 'TransferCompleted')!;
    expect(published.link!(lifecycle[1]!.data, 'transfer-api-1', lifecycle[1]!)).toBe('/transfers/api-1');
    // A consumer system following that link reads the transfer.
    expect((await api.get('/transfers/api-1', 'consumer')).body).toMatchObject({ transferId: 'api-1', step: 'completed' });
    // Sent again: the same transfer, nothing moved twice.
    const again = await api.post('/transfers', body, 'republicOwner');
    expect(again.body).toMatchObject({ transferId: 'api-1', duplicate: true, step: 'completed' });
    // The views follow the transfer's commands (the transfer waits for its commands, not for views).
    let seen: unknown;
    for (let i = 0; i < 50; i++) {
      const balances = await api.get('/balances?customer=U1001', 'admin');
      seen = balances.body.items.map((b: { bank: string; balanceCents: number }) => [b.bank, b.balanceCents]);
      if (JSON.stringify(seen) === JSON.stringify([['republic', 6_000], ['scotia', 4_000]])) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen).toEqual([['republic', 6_000], ['scotia', 4_000]]);
  });

  it('lists transfers newest first by bank and customer: owners see their bank’s (leaving or arriving), admins any; pages with the cursor', async () => {
    const api = await bankingApi('xfer-list');
    running.push(api.runtime);
    await api.post('/accounts/U1001/republic/deposits', { amountCents: 10_000 }, 'republicOwner', { Prefer: 'wait=5' });
    await api.post('/accounts/U1002/scotia/deposits', { amountCents: 10_000 }, 'scotiaOwner', { Prefer: 'wait=5' });
    const send = (transferId: string, from: object, to: object, amountCents: number, as: 'republicOwner' | 'scotiaOwner') =>
      api.post('/transfers', { transferId, from, to, amountCents }, as, { Prefer: 'wait=5' });
    await send('l1', { customer: 'U1001', bank: 'republic' }, { customer: 'U1001', bank: 'scotia' }, 1_000, 'republicOwner');
    await send('l2', { customer: 'U1002', bank: 'scotia' }, { customer: 'U1002', bank: 'first-citizens' }, 2_000, 'scotiaOwner');
    await send('l3', { customer: 'U1001', bank: 'republic' }, { customer: 'U1001', bank: 'first-citizens' }, 99_000, 'republicOwner');
    // The list follows each transfer's rows a moment behind: poll until it shows what it should (a
    // list missing a transfer that has not reached it yet must not pass as finished).
    const ids = async (path: string, as: 'admin' | 'republicOwner' | 'scotiaOwner' | 'firstCitizensOwner') =>
      ((await api.get(path, as)).body.items as { transferId: string; step: string }[]).map((t) => `${t.transferId}:${t.step}`);
    const shows = (path: string, as: Parameters<typeof ids>[1], expected: string[]) => expect.poll(() => ids(path, as), { timeout: 10_000, interval: 100 }).toEqual(expected);
    await shows('/transfers', 'admin', ['l3:rejected', 'l2:completed', 'l1:completed']);
    await shows('/transfers', 'republicOwner', ['l3:rejected', 'l1:completed']);
    await shows('/transfers', 'scotiaOwner', ['l2:completed', 'l1:completed']);
    await shows('/transfers', 'firstCitizensOwner', ['l3:rejected', 'l2:completed']);
    await shows('/transfers?customer=U1002', 'scotiaOwner', ['l2:completed']);
    await shows('/transfers?customer=U1001', 'admin', ['l3:rejected', 'l1:completed']);
    await shows('/transfers?bank=first-citizens&customer=U1001', 'admin', ['l3:rejected']);
    const first = await api.get('/transfers?limit=2', 'admin');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]).toMatchObject({ transferId: 'l3', fromBank: 'republic', toBank: 'first-citizens', amountCents: 99_000, reason: 'insufficient-funds', requestedBy: 'owner.republic' });
    const rest = await api.get(`/transfers?limit=2&cursor=${encodeURIComponent(first.body.cursor)}`, 'admin');
    expect(rest.body.items.map((t: { transferId: string }) => t.transferId)).toEqual(['l1']);
    // Another bank's list is not an owner's to read; a bad cursor is a 400.
    expect((await api.get('/transfers/l3', 'republicOwner')).body.timeline.map((t: { input: string }) => t.input)).toEqual(['start', 'withdraw refused (insufficient-funds)']);
    expect((await api.get('/transfers?bank=scotia', 'republicOwner')).status).toBe(403);
    expect((await api.get('/transfers?cursor=nonsense', 'admin')).status).toBe(400);
  });

  it('keeps a transfer its own: another caller reusing its id, or the same caller with other details, is refused and changes nothing; odd keys are refused', async () => {
    const api = await bankingApi('xfer-hijack');
    running.push(api.runtime);
    await api.post('/accounts/U1001/republic/deposits', { amountCents: 10_000 }, 'republicOwner', { Prefer: 'wait=5' });
    const body = { transferId: 'mine-1', from: { customer: 'U1001', bank: 'republic' }, to: { customer: 'U1001', bank: 'scotia' }, amountCents: 1_000 };
    expect((await api.post('/transfers', body, 'republicOwner', { Prefer: 'wait=5' })).body).toMatchObject({ step: 'completed' });
    const other = await api.post('/transfers', { ...body, amountCents: 9_000 }, 'admin');
    expect(other.status).toBe(409);
    const changed = await api.post('/transfers', { ...body, amountCents: 9_000 }, 'republicOwner');
    expect(changed.status).toBe(409);
    const status = await api.get('/transfers/mine-1', 'republicOwner');
    expect(status.body).toMatchObject({ amountCents: 1_000, requestedBy: 'owner.republic', step: 'completed' });
    expect(status.body.timeline).toHaveLength(3);
    const proto = await api.post('/transfers', JSON.parse('{"__proto__":{"amountCents":1},"from":{"customer":"U1001","bank":"republic"},"to":{"customer":"U1001","bank":"scotia"},"amountCents":5}'), 'republicOwner');
    expect(proto.status).toBe(400);
  });

  it('refuses, starting nothing: a transfer from another bank’s account, within one bank, a consumer, bad fields', async () => {
    const api = await bankingApi('xfer-refuse');
    running.push(api.runtime);
    const body = { from: { customer: 'U1001', bank: 'republic' }, to: { customer: 'U1001', bank: 'scotia' }, amountCents: 100 };
    const before = await api.storedEvents();
    const foreign = await api.post('/transfers', body, 'scotiaOwner');
    expect(foreign.status).toBe(403);
    expect(foreign.body.detail).toMatch(/You own Scotia Bank; a transfer you start leaves from an account there/);
    expect((await api.post('/transfers', { ...body, to: { customer: 'U1002', bank: 'republic' } }, 'republicOwner')).status).toBe(400);
    expect((await api.post('/transfers', body, 'consumer')).status).toBe(403);
    const bad = await api.post('/transfers', { ...body, amountCents: -5, transferId: 'a/b' }, 'republicOwner');
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors ?? {})).toEqual(expect.arrayContaining(['amountCents', 'transferId']));
    expect(await api.storedEvents()).toBe(before);
  });
});

describe('money is conserved', () => {
  // Random transfers between three banks, accounts frozen and unfrozen under them, sends that
  // fail at random in the process that started them, and the worker that sweeps replaced
  // half-way: when everything has settled, no money was made or lost, and no transfer
  // withdrew, deposited or refunded twice, or both deposited and refunded.
  it('over random transfers, freezes, failed sends and a replaced worker', { timeout: 120_000 }, async () => {
    const config = testConfig({ name: 'xfer-conserve', LOG_LEVEL: 'silent' });
    const { context, balance, deposit, runtime: first } = await start('xfer-conserve', config);
    const customers = ['C1', 'C2', 'C3'];
    const banksOf = ['republic', 'scotia', 'first-citizens'] as const;
    for (const customer of customers) for (const bank of banksOf) await deposit(customer, bank as 'republic', 10_000);
    const total = async () => {
      let sum = 0;
      for (const customer of customers) for (const bank of banksOf) sum += await balance(customer, bank);
      return sum;
    };
    const initial = await total();
    // A gateway-like runtime without workers starts the transfers; its sends fail one time in three.
    const gateway = await createRuntime({ contexts: [definition], config, workers: false });
    running.push(gateway);
    const starter = (gateway.context('banking') as unknown as { processes: Map<string, ProcessRunner<TransferState, TransferRequest>> }).processes.get('transfer')!;
    const flaky = starter as unknown as { target: (name: string) => unknown };
    const real = flaky.target;
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    flaky.target = (target: string) => {
      if (random() < 0.33) throw new Error('the gateway lost its connection');
      return real(target);
    };
    const ids: string[] = [];
    let worker = first;
    for (let i = 0; i < 40; i++) {
      const from = banksOf[Math.floor(random() * 3)]!;
      const to = banksOf.filter((b) => b !== from)[Math.floor(random() * 2)]!;
      const customer = customers[Math.floor(random() * 3)]!;
      if (random() < 0.15) await context.execute('account', 'freeze', { customer, bank: to }, { principal: principals.admin }).catch(() => undefined);
      if (random() < 0.15) await context.execute('account', 'unfreeze', { customer, bank: to }, { principal: principals.admin }).catch(() => undefined);
      const id = `c${i}`;
      ids.push(id);
      await starter.begin({ transferId: id, from: { customer, bank: from }, to: { customer, bank: to }, amountCents: Math.ceil(random() * 6_000), requestedBy: 'admin' }, { principal: principals.admin });
      if (i === 20) {
        // The worker that sweeps goes; another takes over.
        await worker.close();
        worker = (await start('xfer-conserve', config)).runtime;
      }
    }
    const transfers = (worker.context('banking') as unknown as { processes: Map<string, ProcessRunner<TransferState, TransferRequest>> }).processes.get('transfer')!;
    for (const id of ids) await finished(transfers, id);
    const outcomes = new Map<string, string>();
    for (const id of ids) {
      const instance = await transfers.load(id);
      if (instance) outcomes.set(id, instance.state.step);
    }
    expect(outcomes.size).toBe(ids.length);
    expect([...outcomes.values()].every((step) => ['completed', 'compensated', 'rejected'].includes(step))).toBe(true);
    expect(await total()).toBe(initial);
    // Each transfer's effects, from the account streams.
    const effects = new Map<string, { withdrawn: number; deposited: number; refunded: number }>();
    for (const customer of customers) {
      for (const bank of banksOf) {
        for (const event of await context.readStream(`account-${customer}-${bank}`)) {
          const data = event.data as { memo?: string; transferId?: string };
          const id = /^transfer (\w+) to /.exec(data.memo ?? '')?.[1] ?? (data.transferId?.endsWith('-refund') ? data.transferId.slice(0, -7) : data.transferId);
          if (!id) continue;
          const effect = effects.get(id) ?? { withdrawn: 0, deposited: 0, refunded: 0 };
          if (event.type === 'Withdrawn') effect.withdrawn++;
          if (event.type === 'Deposited') effect[data.transferId?.endsWith('-refund') ? 'refunded' : 'deposited']++;
          effects.set(id, effect);
        }
      }
    }
    for (const [id, step] of outcomes) {
      const effect = effects.get(id) ?? { withdrawn: 0, deposited: 0, refunded: 0 };
      const expected = { completed: { withdrawn: 1, deposited: 1, refunded: 0 }, compensated: { withdrawn: 1, deposited: 0, refunded: 1 }, rejected: { withdrawn: 0, deposited: 0, refunded: 0 } }[step as 'completed'];
      expect({ id, ...effect }).toEqual({ id, ...expected });
    }
    // The run met every ending: moved, refunded (a frozen receiver), refused (too little at A).
    expect(new Set(outcomes.values())).toEqual(new Set(['completed', 'compensated', 'rejected']));
  });
});
