import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankingApi, sleep } from './harness.ts';

let api: Awaited<ReturnType<typeof bankingApi>>;
/** After U1001's first deposit; after U1001's withdrawal at Republic (before the move to Scotia). */
let afterDeposit: string;
let afterWithdrawal: string;

const wait = { Prefer: 'wait=5' };

beforeAll(async () => {
  api = await bankingApi('bqry');
  const run = async (path: string, body: object) => {
    const reply = await api.post(path, body, 'admin', wait);
    if (reply.status !== 200) throw new Error(`${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    await sleep(5);
  };
  await run('/accounts/U1001/republic/deposits', { amountCents: 10_000, memo: 'salary' });
  afterDeposit = new Date().toISOString();
  await sleep(5);
  await run('/accounts/U1001/republic/withdrawals', { amountCents: 2_000, memo: 'cash' });
  afterWithdrawal = new Date().toISOString();
  await sleep(5);
  await run('/accounts/U1001/scotia/deposits', { amountCents: 2_000, memo: 'cash from Republic' });
  await run('/accounts/U2001/republic/deposits', { amountCents: 500 });
  await run('/accounts/U2001/scotia/voids', {});
});
afterAll(() => api?.close());

type Entry = { eventId: string; type: string; customer: string; bank: string; occurredAt: string; amountCents: number };
const log = async (query = '') => (await api.get(`/events${query}`, 'consumer')).body as { items: Entry[]; cursor?: string };

describe('event log', () => {
  it('lists every banking event newest first', async () => {
    const { items } = await log();
    expect(items.map((e) => e.type)).toEqual([
      'Voided',
      'AccountOpened',
      'Deposited',
      'AccountOpened',
      'Deposited',
      'AccountOpened',
      'Withdrawn',
      'Deposited',
      'AccountOpened',
    ]);
    expect(items[6]).toMatchObject({ customer: 'U1001', bank: 'republic', amountCents: 2_000, balanceAfterCents: 8_000, memo: 'cash', who: 'admin' });
  });

  it('filters by customer, bank, both, and type', async () => {
    expect((await log('?customer=U1001')).items).toHaveLength(5);
    expect((await log('?bank=republic')).items.map((e) => e.customer)).toEqual(['U2001', 'U2001', 'U1001', 'U1001', 'U1001']);
    expect((await log('?customer=U1001&bank=scotia')).items.map((e) => e.type)).toEqual(['Deposited', 'AccountOpened']);
    expect((await log('?type=Deposited')).items.map((e) => e.amountCents)).toEqual([500, 2_000, 10_000]);
    expect((await log('?type=Withdrawn&bank=republic')).items).toHaveLength(1);
  });

  it('filters by a time range', async () => {
    const before = (await log(`?to=${afterWithdrawal}`)).items;
    const after = (await log(`?from=${afterWithdrawal}`)).items;
    expect(before.map((e) => e.type)).toEqual(['Withdrawn', 'Deposited', 'AccountOpened']);
    expect(after).toHaveLength(6);
    expect((await log(`?from=${afterDeposit}&to=${afterWithdrawal}&customer=U1001`)).items.map((e) => e.type)).toEqual(['Withdrawn']);
    const backwards = await api.get(`/events?from=${afterWithdrawal}&to=${afterDeposit}`);
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors).toHaveProperty('to');
  });

  it('pages with the cursor, newest first, each event once', async () => {
    const all = (await log()).items.map((e) => e.eventId);
    const paged: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await log(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((e) => e.eventId));
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(paged).toEqual(all);
    expect(pages).toBeGreaterThanOrEqual(5);
  });

  it('refuses bad filters and cursors with 400 problems', async () => {
    for (const [query, field] of [
      ['?type=Transferred', 'type'],
      ['?bank=chase', 'bank'],
      ["?customer=U1'--", 'customer'],
      ['?from=yesterday', 'from'],
      ['?limit=0', 'limit'],
      ['?limit=abc', 'limit'],
      ['?cursor=not-a-cursor', 'cursor'],
    ] as const) {
      const reply = await api.get(`/events${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.errors, query).toHaveProperty(field);
    }
  });

  it('opens one event in full from the store', async () => {
    const withdrawal = (await log('?type=Withdrawn')).items[0]!;
    const reply = await api.get(`/events/${withdrawal.eventId}`, 'republicOwner');
    expect(reply.status).toBe(200);
    expect(reply.body.event).toMatchObject({
      id: withdrawal.eventId,
      type: 'Withdrawn',
      schemaVersion: 1,
      stream: 'account-U1001-republic',
      version: 3,
      who: 'admin',
      occurredAt: withdrawal.occurredAt,
      data: { customer: 'U1001', bank: 'republic', amountCents: 2_000, balanceAfterCents: 8_000, memo: 'cash' },
    });
    expect(reply.body.event.correlationId).toBeTruthy();
    expect((await api.get('/events/0190a000-0000-7000-8000-000000000000')).status).toBe(404);
    expect((await api.get('/events/nope')).status).toBe(400);
  });
});

describe('customers and balances', () => {
  it('shows a customer’s accounts and recent transactions', async () => {
    const reply = await api.get('/customers/U1001', 'scotiaOwner');
    expect(reply.status).toBe(200);
    expect(reply.body.totalCents).toBe(10_000);
    expect(reply.body.accounts.map((a: { bank: string; balanceCents: number }) => [a.bank, a.balanceCents])).toEqual([
      ['republic', 8_000],
      ['scotia', 2_000],
    ]);
    expect(reply.body.recent.map((e: Entry) => e.type)).toEqual(['Deposited', 'AccountOpened', 'Withdrawn', 'Deposited', 'AccountOpened']);
    expect((await api.get('/customers/U9999')).status).toBe(404);
  });

  it('lists balances of one bank across customers', async () => {
    const { items } = (await api.get('/balances?bank=scotia')).body;
    expect(items.map((b: { customer: string; balanceCents: number }) => [b.customer, b.balanceCents])).toEqual([
      ['U1001', 2_000],
      ['U2001', 0],
    ]);
    expect((await api.get('/balances')).body.items).toHaveLength(4);
  });

  it('totals each bank', async () => {
    const { items } = (await api.get('/banks')).body;
    expect(items).toEqual([
      { bank: 'first-citizens', bankName: 'First Citizens', totalCents: 0, accounts: 0 },
      { bank: 'republic', bankName: 'Republic Bank', totalCents: 8_500, accounts: 2 },
      { bank: 'scotia', bankName: 'Scotia Bank', totalCents: 2_000, accounts: 2 },
    ]);
  });
});

describe('balance as of a past time', () => {
  const asOf = async (query: string) => (await api.get(`/customers/U1001/balance${query}`, 'consumer')).body;
  const pairs = (body: { accounts: { bank: string; balanceCents: number }[] }) => body.accounts.map((a) => [a.bank, a.balanceCents]);

  it('replays the history up to the instant', async () => {
    expect(pairs(await asOf(`?asOf=${afterDeposit}`))).toEqual([['republic', 10_000]]);
    expect(pairs(await asOf(`?asOf=${afterWithdrawal}`))).toEqual([['republic', 8_000]]);
    const now = await asOf('');
    expect(pairs(now)).toEqual([
      ['republic', 8_000],
      ['scotia', 2_000],
    ]);
    expect(now.totalCents).toBe(10_000);
    expect((await asOf('?asOf=2000-01-01T00:00:00Z')).accounts).toEqual([]);
  });

  it('answers for one bank, even before its account existed', async () => {
    const body = await asOf(`?bank=scotia&asOf=${afterWithdrawal}`);
    expect(body.accounts).toEqual([{ bank: 'scotia', bankName: 'Scotia Bank', opened: false, balanceCents: 0, version: 0 }]);
    expect((await asOf('?bank=scotia')).accounts[0]).toMatchObject({ opened: true, balanceCents: 2_000, version: 2 });
  });

  it('refuses an instant that is not ISO 8601', async () => {
    const reply = await api.get('/customers/U1001/balance?asOf=last%20tuesday');
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toHaveProperty('asOf');
  });
});
