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

async function start(name: string) {
  const runtime = await createRuntime({ contexts: [definition], config: testConfig({ name, LOG_LEVEL: 'silent' }), tuning: { processIdleMs: 100, processQuietMs: 300 } });
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
    expect(landed!.data).toMatchObject({ transferId: 't1', amountCents: 25_000 });
  });

  it('is rejected with nothing moved when A has too little', async () => {
    const { transfers, balance, deposit } = await start('xfer-short');
    await deposit('U1001', 'republic', 1_000);
    await transfers.begin(request('t2', 5_000), { principal: principals.admin });
    expect(await finished(transfers, 't2')).toMatchObject({ state: { step: 'rejected', reason: 'insufficient-funds' } });
    expect([await balance('U1001', 'republic'), await balance('U1001', 'scotia')]).toEqual([1_000, 0]);
  });

  it('refunds A when B is frozen, after fencing the deposit: money conserved, B untouched', async () => {
    const { transfers, balance, deposit, context } = await start('xfer-frozen');
    await deposit('U1001', 'republic', 50_000);
    await deposit('U1001', 'scotia', 10);
    await context.execute('account', 'freeze', { customer: 'U1001', bank: 'scotia' }, { principal: principals.admin });
    await transfers.begin(request('t3', 20_000), { principal: principals.admin });
    expect(await finished(transfers, 't3')).toMatchObject({ state: { step: 'compensated', reason: 'account-frozen' } });
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
