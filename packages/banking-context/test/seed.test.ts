import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/index.ts';
import { bankingApi, eventually } from './harness.ts';

let api: Awaited<ReturnType<typeof bankingApi>>;
beforeAll(async () => {
  api = await bankingApi('bsed');
});
afterAll(() => api?.close());

describe('demo data', () => {
  it('seeds four customers at several banks, once even if run twice', async () => {
    await seedDemo(api.context);
    const stored = await api.storedEvents();
    await seedDemo(api.context);
    expect(await api.storedEvents()).toBe(stored);

    const balances = async () => (await api.get('/balances')).body.items as { customer: string; bank: string; balanceCents: number }[];
    await eventually('the seeded balances', async () => (await balances()).length === 9);
    const rows = (await balances()).map((b) => [b.customer, b.bank, b.balanceCents]);
    expect(rows).toEqual([
      ['U1001', 'republic', 98_000],
      ['U1001', 'scotia', 300_000],
      ['U2001', 'first-citizens', 21_000],
      ['U2001', 'republic', 7_550],
      ['U3001', 'republic', 350_000],
      ['U3001', 'scotia', 0],
      ['U4001', 'first-citizens', 120_000],
      ['U4001', 'republic', 0],
      ['U4001', 'scotia', 4_000],
    ]);
  });

  it('tells U1001’s cross-bank story: cash out of Republic Bank, the same sum into Scotia Bank', async () => {
    await eventually('the log', async () => (await api.get('/events?customer=U1001')).body.items.length === 8);
    const [latest, previous] = (await api.get('/events?customer=U1001&limit=2')).body.items;
    expect([previous.type, previous.bank, previous.amountCents]).toEqual(['Withdrawn', 'republic', 50_000]);
    expect([latest.type, latest.bank, latest.amountCents]).toEqual(['Deposited', 'scotia', 50_000]);
  });
});
