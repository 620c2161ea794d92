import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principals } from '../src/testing.ts';
import { bankingApi } from './harness.ts';

let api: Awaited<ReturnType<typeof bankingApi>>;
beforeAll(async () => {
  api = await bankingApi('bcmd');
});
afterAll(() => api?.close());

const wait = { Prefer: 'wait=5' };

describe('deposits and withdrawals through the API', () => {
  it('applies a deposit and shows it in the balances with Prefer: wait', async () => {
    const reply = await api.post('/accounts/U1001/republic/deposits', { amountCents: 12_550, memo: 'salary' }, 'republicOwner', wait);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'applied', duplicate: false, stream: 'account-U1001-republic', balanceAfterCents: 12_550 });
    expect(reply.body.events.map((e: { type: string }) => e.type)).toEqual(['AccountOpened', 'Deposited']);
    expect(reply.headers.get('location')).toBe(reply.body.statusUrl);

    const balances = await api.get('/balances?customer=U1001', 'consumer');
    expect(balances.status).toBe(200);
    expect(balances.body.items).toEqual([
      expect.objectContaining({ customer: 'U1001', bank: 'republic', bankName: 'Republic Bank', balanceCents: 12_550, lastType: 'Deposited', lastAmountCents: 12_550 }),
    ]);
    const banks = await api.get('/banks', 'scotiaOwner');
    expect(banks.body.items).toContainEqual({ bank: 'republic', bankName: 'Republic Bank', totalCents: 12_550, accounts: 1 });
    expect(banks.body.items.map((b: { bank: string }) => b.bank)).toEqual(['first-citizens', 'republic', 'scotia']);
  });

  it('answers 202 with a status link without Prefer: wait', async () => {
    const reply = await api.post('/transactions', { customer: 'U1002', bank: 'scotia', type: 'deposit', amountCents: 100 }, 'scotiaOwner');
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ status: 'accepted', statusUrl: `/api/banking/commands/${reply.body.commandId}` });
  });

  it('takes the transaction form: deposit, withdraw and void', async () => {
    const form = (type: string, extra: object = {}) => api.post('/transactions', { customer: 'U2001', bank: 'first-citizens', type, ...extra }, 'firstCitizensOwner', wait);
    expect((await form('deposit', { amountCents: 5_000, memo: 'cash' })).status).toBe(200);
    const withdrawal = await form('withdraw', { amountCents: 1_200 });
    expect(withdrawal.status).toBe(200);
    expect(withdrawal.body.balanceAfterCents).toBe(3_800);
    const voided = await form('void', { memo: 'registration check' });
    expect(voided.status).toBe(200);
    expect(voided.body.events.map((e: { type: string }) => e.type)).toEqual(['Voided']);
    const row = (await api.get('/balances?customer=U2001&bank=first-citizens')).body.items[0];
    expect(row).toMatchObject({ balanceCents: 3_800, lastType: 'Voided', lastAmountCents: 0, transactions: 3 });
  });

  it('registers a customer at a bank with a void, balance zero', async () => {
    const reply = await api.post('/accounts/U3001/scotia/voids', {}, 'admin', wait);
    expect(reply.status).toBe(200);
    expect((await api.get('/balances?customer=U3001')).body.items).toEqual([expect.objectContaining({ bank: 'scotia', balanceCents: 0, lastType: 'Voided' })]);
  });

  it('refuses a withdrawal above the balance with 422 on amountCents, and writes nothing', async () => {
    await api.post('/accounts/U1003/republic/deposits', { amountCents: 1_000 }, 'admin', wait);
    const before = await api.context.readStream('account-U1003-republic');
    const stored = await api.storedEvents();
    const reply = await api.post('/accounts/U1003/republic/withdrawals', { amountCents: 1_001 }, 'republicOwner', wait);
    expect(reply.status).toBe(422);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.body.type).toMatch(/insufficient-funds$/);
    expect(reply.body.errors.amountCents[0]).toMatch(/\$10\.00 at Republic Bank/);
    expect(await api.context.readStream('account-U1003-republic')).toEqual(before);
    expect(await api.storedEvents()).toBe(stored);
  });

  it('keeps the largest amount exact', async () => {
    const reply = await api.post('/accounts/U1004/first-citizens/deposits', { amountCents: 10_000_000_000 }, 'admin', wait);
    expect(reply.status).toBe(200);
    const row = (await api.get('/balances?customer=U1004')).body.items[0];
    expect(row.balanceCents).toBe(10_000_000_000);
    expect((await api.post('/accounts/U1004/first-citizens/withdrawals', { amountCents: 9_999_999_999 }, 'admin', wait)).body.balanceAfterCents).toBe(1);
  });
});

describe('bad input', () => {
  const cases: [string, string, unknown, string][] = [
    ['negative amount', '/accounts/U1001/republic/deposits', { amountCents: -100 }, 'amountCents'],
    ['zero amount', '/accounts/U1001/republic/deposits', { amountCents: 0 }, 'amountCents'],
    ['non-numeric amount', '/accounts/U1001/republic/deposits', { amountCents: 'ten' }, 'amountCents'],
    ['numeric text amount', '/accounts/U1001/republic/deposits', { amountCents: '100' }, 'amountCents'],
    ['fractional cents', '/accounts/U1001/republic/deposits', { amountCents: 10.5 }, 'amountCents'],
    ['huge amount', '/accounts/U1001/republic/deposits', { amountCents: 1e20 }, 'amountCents'],
    ['missing amount', '/accounts/U1001/republic/deposits', {}, 'amountCents'],
    ['null amount', '/accounts/U1001/republic/withdrawals', { amountCents: null }, 'amountCents'],
    ['an amount on a void', '/accounts/U1001/republic/voids', { amountCents: 100 }, 'amountCents'],
    ['unknown field', '/accounts/U1001/republic/deposits', { amountCents: 100, balance: 1 }, 'balance'],
    ['memo too long', '/accounts/U1001/republic/deposits', { amountCents: 100, memo: 'x'.repeat(201) }, 'memo'],
    ['unknown bank', '/accounts/U1001/chase/deposits', { amountCents: 100 }, 'bank'],
    ['customer with a quote', `/accounts/${encodeURIComponent("U1001'")}/republic/deposits`, { amountCents: 100 }, 'customer'],
    ['customer with or', `/accounts/${encodeURIComponent("U1' or '1'='1")}/republic/deposits`, { amountCents: 100 }, 'customer'],
    ['customer with --', `/accounts/${encodeURIComponent('U1001;--')}/republic/deposits`, { amountCents: 100 }, 'customer'],
    ['customer over 256 characters', `/accounts/${'U'.repeat(300)}/republic/deposits`, { amountCents: 100 }, 'customer'],
    ['form: unknown type', '/transactions', { customer: 'U1001', bank: 'republic', type: 'transfer', amountCents: 100 }, 'type'],
    ['form: unknown bank', '/transactions', { customer: 'U1001', bank: 'Chase', type: 'deposit', amountCents: 100 }, 'bank'],
    ['form: missing amount', '/transactions', { customer: 'U1001', bank: 'republic', type: 'withdraw' }, 'amountCents'],
    ['form: amount on a void', '/transactions', { customer: 'U1001', bank: 'republic', type: 'void', amountCents: 5 }, 'amountCents'],
    ['form: customer with a quote', '/transactions', { customer: "U1001'--", bank: 'republic', type: 'deposit', amountCents: 100 }, 'customer'],
    ['form: customer too long', '/transactions', { customer: 'U'.repeat(257), bank: 'republic', type: 'deposit', amountCents: 100 }, 'customer'],
    ['form: missing customer', '/transactions', { bank: 'republic', type: 'deposit', amountCents: 100 }, 'customer'],
  ];

  it.each(cases)('refuses %s with a 400 problem naming the field', async (_name, path, body, field) => {
    const stored = await api.storedEvents();
    const reply = await api.post(path, body, 'admin');
    expect(reply.status, JSON.stringify(reply.body)).toBe(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Object.keys(reply.body.errors ?? {})).toContain(field);
    expect(await api.storedEvents()).toBe(stored);
  });

  it('refuses a body that is not JSON with a 400 problem', async () => {
    const reply = await api.post('/accounts/U1001/republic/deposits', '{"amountCents": 1', 'admin');
    expect(reply.status).toBe(400);
    expect(reply.body.type).toMatch(/malformed|validation/);
  });

  it('reports every bad field of the form at once', async () => {
    const reply = await api.post('/transactions', { customer: "x' or 1=1 --", bank: 'nowhere', type: 'deposit', amountCents: 0.5 }, 'admin');
    expect(reply.status).toBe(400);
    expect(Object.keys(reply.body.errors).sort()).toEqual(['amountCents', 'bank', 'customer']);
  });

  it('refuses a malformed idempotency key', async () => {
    const reply = await api.post('/accounts/U1001/republic/deposits', { amountCents: 1 }, 'admin', { 'Idempotency-Key': 'no spaces allowed' });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toHaveProperty('Idempotency-Key');
  });
});

describe('idempotency', () => {
  it('applies a deposit sent twice with the same key once', async () => {
    const stored = await api.storedEvents();
    const headers = { ...wait, 'Idempotency-Key': 'deposit-U1005-1' };
    const first = await api.post('/accounts/U1005/scotia/deposits', { amountCents: 700 }, 'scotiaOwner', headers);
    const second = await api.post('/accounts/U1005/scotia/deposits', { amountCents: 700 }, 'scotiaOwner', headers);
    expect(first.status).toBe(200);
    expect(first.body.duplicate).toBe(false);
    expect(second.status).toBeLessThan(300);
    expect(second.body).toMatchObject({ duplicate: true, commandId: first.body.commandId });
    expect(second.body.events.map((e: { id: string }) => e.id)).toEqual(first.body.events.map((e: { id: string }) => e.id));
    expect(await api.storedEvents()).toBe(stored + 2);
    expect((await api.get('/balances?customer=U1005')).body.items[0].balanceCents).toBe(700);

    const form = { customer: 'U1005', bank: 'scotia', type: 'deposit', amountCents: 300 };
    const again = { ...wait, 'Idempotency-Key': 'form-U1005-1' };
    await api.post('/transactions', form, 'scotiaOwner', again);
    expect((await api.post('/transactions', form, 'scotiaOwner', again)).body.duplicate).toBe(true);
    expect((await api.get('/balances?customer=U1005')).body.items[0].balanceCents).toBe(1_000);
  });
});

describe('who may transact', () => {
  it('refuses the owner of Scotia Bank at Republic Bank with 403 on bank, and writes nothing', async () => {
    const stored = await api.storedEvents();
    const reply = await api.post('/accounts/U1001/republic/deposits', { amountCents: 100 }, 'scotiaOwner');
    expect(reply.status).toBe(403);
    expect(reply.body.type).toMatch(/forbidden$/);
    expect(reply.body.errors.bank[0]).toMatch(/Scotia Bank.*Republic Bank/);
    const form = await api.post('/transactions', { customer: 'U1001', bank: 'republic', type: 'void' }, 'scotiaOwner');
    expect(form.status).toBe(403);
    expect(await api.storedEvents()).toBe(stored);
  });

  it('refuses consumers with 403 and callers without a token with 401', async () => {
    const stored = await api.storedEvents();
    for (const path of ['/accounts/U1001/republic/deposits', '/accounts/U1001/republic/withdrawals']) {
      expect((await api.post(path, { amountCents: 100 }, 'consumer')).status).toBe(403);
      expect((await api.post(path, { amountCents: 100 }, null)).status).toBe(401);
    }
    expect((await api.post('/accounts/U1001/republic/voids', {}, 'consumer')).status).toBe(403);
    expect((await api.post('/transactions', { customer: 'U1001', bank: 'republic', type: 'deposit', amountCents: 1 }, 'consumer')).status).toBe(403);
    expect((await api.post('/transactions', { customer: 'U1001', bank: 'republic', type: 'deposit', amountCents: 1 }, null)).status).toBe(401);
    expect(await api.storedEvents()).toBe(stored);
  });

  it('lets every role read, and nobody without a token', async () => {
    for (const as of ['admin', 'republicOwner', 'consumer'] as const) {
      for (const path of ['/balances', '/banks', '/events', '/customers/U1001', '/customers/U1001/balance']) {
        expect((await api.get(path, as)).status, `${as} ${path}`).toBe(200);
      }
    }
    const anonymous = await api.app.request('/api/banking/balances');
    expect(anonymous.status).toBe(401);
  });
});

describe('freezing through the API', () => {
  it('lets the owner of the bank freeze an account, refuses money moves with 422 account-frozen, and unfreeze it again', async () => {
    await api.post('/accounts/U1006/republic/deposits', { amountCents: 1_000 }, 'admin', wait);
    const freeze = await api.post('/accounts/U1006/republic/freeze', { memo: 'reported stolen card' }, 'republicOwner', wait);
    expect(freeze.status).toBe(200);
    expect(freeze.body.events.map((e: { type: string; data: unknown }) => [e.type, e.data])).toEqual([
      ['AccountFrozen', { customer: 'U1006', bank: 'republic', memo: 'reported stolen card' }],
    ]);

    const stored = await api.storedEvents();
    for (const [path, body] of [
      ['/accounts/U1006/republic/deposits', { amountCents: 100 }],
      ['/accounts/U1006/republic/withdrawals', { amountCents: 100 }],
    ] as const) {
      const refused = await api.post(path, body, 'republicOwner', wait);
      expect(refused.status).toBe(422);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ type: 'https://eventloom.dev/problems/account-frozen', status: 422 });
      expect(refused.body.detail).toMatch(/U1006 at Republic Bank is frozen/);
    }
    const form = await api.post('/transactions', { customer: 'U1006', bank: 'republic', type: 'deposit', amountCents: 1 }, 'republicOwner');
    expect(form.body.type).toMatch(/account-frozen$/);
    expect(await api.storedEvents()).toBe(stored);

    const again = await api.post('/accounts/U1006/republic/freeze', {}, 'republicOwner');
    expect([again.status, again.body.type]).toEqual([422, 'https://eventloom.dev/problems/already-frozen']);

    expect((await api.post('/accounts/U1006/republic/unfreeze', { memo: 'card found' }, 'republicOwner', wait)).status).toBe(200);
    const twice = await api.post('/accounts/U1006/republic/unfreeze', {}, 'republicOwner');
    expect([twice.status, twice.body.type]).toEqual([422, 'https://eventloom.dev/problems/not-frozen']);
    expect((await api.post('/accounts/U1006/republic/withdrawals', { amountCents: 100 }, 'republicOwner', wait)).body.balanceAfterCents).toBe(900);

    const log = await api.get('/events?customer=U1006&type=AccountFrozen');
    expect(log.body.items).toEqual([expect.objectContaining({ type: 'AccountFrozen', memo: 'reported stolen card', who: 'owner.republic' })]);
  });

  it('refuses the owner of another bank with 403 on bank, consumers with 403 and a never-opened account with 422', async () => {
    await api.post('/accounts/U1007/republic/deposits', { amountCents: 1_000 }, 'admin', wait);
    const stored = await api.storedEvents();
    const other = await api.post('/accounts/U1007/republic/freeze', {}, 'scotiaOwner');
    expect(other.status).toBe(403);
    expect(other.body.errors.bank[0]).toMatch(/Scotia Bank.*Republic Bank/);
    expect((await api.post('/accounts/U1007/republic/freeze', {}, 'consumer')).status).toBe(403);
    expect((await api.post('/accounts/U1007/republic/unfreeze', {}, null)).status).toBe(401);
    const none = await api.post('/accounts/U1007/scotia/freeze', {}, 'scotiaOwner');
    expect([none.status, none.body.type]).toEqual([422, 'https://eventloom.dev/problems/no-account']);
    const bad = await api.post('/accounts/U1007/republic/freeze', { memo: 'x'.repeat(201), amountCents: 5 }, 'admin');
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['amountCents', 'memo']);
    expect(await api.storedEvents()).toBe(stored);
  });
});

describe('a transfer’s deposit and its expiry, on the store', () => {
  const platform = { principal: principals.admin };
  const inFiveMinutes = () => new Date(Date.now() + 5 * 60_000).toISOString();

  it('refuses the deposit once the expiry is written, and writes nothing', async () => {
    const key = { customer: 'U1008', bank: 'scotia' } as const;
    await api.context.execute('account', 'deposit', { ...key, amountCents: 100 }, platform);
    const expired = await api.context.execute('account', 'expireTransferDeposit', { ...key, transferId: 'T-8' }, platform);
    expect(expired.events.map((e) => [e.type, e.data])).toEqual([['TransferDepositExpired', { ...key, transferId: 'T-8' }]]);
    expect((await api.context.execute('account', 'expireTransferDeposit', { ...key, transferId: 'T-8' }, platform)).events).toEqual([]);

    const stored = await api.storedEvents();
    const late = api.context.execute('account', 'deposit', { ...key, amountCents: 500, transfer: { id: 'T-8', notAfter: inFiveMinutes() } }, platform);
    await expect(late).rejects.toMatchObject({ problem: { type: 'https://eventloom.dev/problems/transfer-expired', status: 422 } });
    expect(await api.storedEvents()).toBe(stored);
  });

  it('refuses the expiry once the deposit landed, and lands a repeated deposit once', async () => {
    const key = { customer: 'U1009', bank: 'scotia' } as const;
    const deposit = { ...key, amountCents: 700, transfer: { id: 'T-9', notAfter: inFiveMinutes() } };
    const landed = await api.context.execute('account', 'deposit', deposit, platform);
    expect(landed.events.map((e) => [e.type, e.data])).toEqual([
      ['AccountOpened', key],
      ['Deposited', { ...key, amountCents: 700, balanceAfterCents: 700, transferId: 'T-9' }],
    ]);
    expect((await api.context.execute('account', 'deposit', deposit, platform)).events).toEqual([]);
    const expiry = api.context.execute('account', 'expireTransferDeposit', { ...key, transferId: 'T-9' }, platform);
    await expect(expiry).rejects.toMatchObject({ problem: { type: 'https://eventloom.dev/problems/deposit-landed', status: 422 } });
    expect((await api.context.readStream('account-U1009-scotia')).map((e) => e.type)).toEqual(['AccountOpened', 'Deposited']);
  });

  it('is not open to owners through the API: the deposit routes take no transfer', async () => {
    const reply = await api.post('/accounts/U1009/scotia/deposits', { amountCents: 1, transfer: { id: 'T-10', notAfter: inFiveMinutes() } }, 'admin');
    expect(reply.status).toBe(400);
    expect(Object.keys(reply.body.errors)).toContain('transfer');
    await expect(api.context.execute('account', 'expireTransferDeposit', { customer: 'U1009', bank: 'scotia', transferId: 'T-10' }, { principal: principals.scotiaOwner })).rejects.toMatchObject({
      problem: { status: 403 },
    });
  });
});

describe('API document', () => {
  it('documents every banking route with the roles that may call it', () => {
    const document = api.app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'banking', version: '0' } });
    const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { 'x-roles'?: string[] }>).map(([method, op]) => `${method.toUpperCase()} ${path} ${op['x-roles']?.join(',')}`),
    );
    expect(operations.sort()).toEqual([
      'GET /api/banking/balances owner,admin,consumer',
      'GET /api/banking/banks owner,admin,consumer',
      'GET /api/banking/customers/{customer} owner,admin,consumer',
      'GET /api/banking/customers/{customer}/balance owner,admin,consumer',
      'GET /api/banking/events owner,admin,consumer',
      'GET /api/banking/events/{eventId} owner,admin,consumer',
      'GET /api/banking/events/{eventId}/journey owner,admin,consumer',
      'GET /api/banking/transfers owner,admin',
      'GET /api/banking/transfers/{transferId} owner,admin,consumer',
      'POST /api/banking/accounts/{customer}/{bank}/deposits owner,admin',
      'POST /api/banking/accounts/{customer}/{bank}/freeze owner,admin',
      'POST /api/banking/accounts/{customer}/{bank}/unfreeze owner,admin',
      'POST /api/banking/accounts/{customer}/{bank}/voids owner,admin',
      'POST /api/banking/accounts/{customer}/{bank}/withdrawals owner,admin',
      'POST /api/banking/transactions owner,admin',
      'POST /api/banking/transfers owner,admin',
    ]);
  });

  it('documents the refusals of freezing and of a frozen account', () => {
    const document = api.app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'banking', version: '0' } });
    const response = (path: string) => document.paths?.[`/api/banking/accounts/{customer}/{bank}/${path}`]?.post?.responses?.['422'] as { description: string; content: object };
    const refusal = (path: string) => response(path).description;
    expect(Object.keys(response('freeze').content)).toEqual(['application/problem+json']);
    expect(refusal('freeze')).toMatch(/already-frozen/);
    expect(refusal('unfreeze')).toMatch(/not-frozen/);
    expect(refusal('deposits')).toMatch(/account-frozen/);
    expect(refusal('withdrawals')).toMatch(/account-frozen/);
  });
});
