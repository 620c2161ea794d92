import { cursorParam, defineRoute, limitParam, problems, readPage, withoutKeys, type AppEnv, type ContextRuntime } from '@eventloom/core';
import { odata } from '@azure/data-tables';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { accountStream, type AccountState } from '../account/decide.ts';
import { customerId } from '../account/fields.ts';
import { bankById, bankId, banks, type BankId } from '../banks.ts';
import { logKeyFilter } from '../event-log/api.ts';
import { eventLogTable, logPartition, logRange } from '../event-log/projection.ts';
import { LogEntry, toLogEntry } from '../event-log/api.ts';
import { balanceTables, bankTotalsPartition, type BalanceRow, type BankTotalRow } from './projection.ts';

const readers: ('owner' | 'admin' | 'consumer')[] = ['owner', 'admin', 'consumer'];

export const Balance = z
  .object({
    customer: z.string(),
    bank: bankId,
    bankName: z.string(),
    balanceCents: z.number().int(),
    transactions: z.number().int(),
    openedAt: z.string(),
    lastType: z.string().optional(),
    lastAmountCents: z.number().int().optional(),
    lastAt: z.string().optional(),
    lastEventId: z.string().optional(),
  })
  .openapi('Balance');

const BankTotal = z
  .object({ bank: bankId, bankName: z.string(), totalCents: z.number().int(), accounts: z.number().int() })
  .openapi('BankTotal');

const BalanceAsOf = z
  .object({ bank: bankId, bankName: z.string(), opened: z.boolean(), balanceCents: z.number().int(), version: z.number().int() })
  .openapi('BalanceAsOf');

const json = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const list = defineRoute({
  method: 'get',
  path: '/balances',
  tags: ['banking'],
  roles: readers,
  summary: 'Balances: every account, or one customer’s, or one bank’s',
  request: { query: z.object({ customer: customerId.optional(), bank: bankId.optional(), limit: limitParam, cursor: cursorParam }) },
  responses: { 200: json('A page of balances', z.object({ items: z.array(Balance), cursor: z.string().optional() })) },
});

const totals = defineRoute({
  method: 'get',
  path: '/banks',
  tags: ['banking'],
  roles: readers,
  summary: 'The banks with their total deposits and number of accounts',
  responses: { 200: json('Every bank', z.object({ items: z.array(BankTotal) })) },
});

const customer = defineRoute({
  method: 'get',
  path: '/customers/{customer}',
  tags: ['banking'],
  roles: readers,
  summary: 'A customer’s accounts and most recent transactions',
  request: { params: z.object({ customer: customerId }), query: z.object({ limit: limitParam }) },
  responses: {
    200: json('The customer', z.object({ customer: z.string(), totalCents: z.number().int(), accounts: z.array(Balance), recent: z.array(LogEntry) })),
    404: { description: 'No account for this customer' },
  },
});

const asOf = defineRoute({
  method: 'get',
  path: '/customers/{customer}/balance',
  tags: ['banking'],
  roles: readers,
  summary: 'A customer’s balances as of a past instant, replayed from the event history',
  request: {
    params: z.object({ customer: customerId }),
    query: z.object({
      bank: bankId.optional(),
      asOf: z.iso.datetime({ offset: true, error: 'asOf must be an ISO 8601 instant, e.g. 2026-01-31T12:00:00Z' }).optional(),
    }),
  },
  responses: {
    200: json('Balances at that instant', z.object({ customer: z.string(), asOf: z.string(), totalCents: z.number().int(), accounts: z.array(BalanceAsOf) })),
  },
});

const toBalance = (row: Record<string, unknown>) => withoutKeys(row) as unknown as z.infer<typeof Balance>;

export function balanceRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  app.openapi(list, async (c) => {
    const { customer, bank, limit, cursor } = c.req.valid('query');
    const page = await readPage(runtime.views, balanceTables.balances, {
      ...(customer ? { partitionKey: customer } : {}),
      ...(bank ? { filter: odata`RowKey eq ${bank}` } : {}),
      limit: limit ?? 100,
      ...(cursor ? { cursor } : {}),
    });
    return c.json({ items: page.rows.map(toBalance), ...(page.cursor ? { cursor: page.cursor } : {}) }, 200);
  });

  app.openapi(totals, async (c) => {
    const page = await runtime.views.query(balanceTables.bankTotals, { partitionKey: bankTotalsPartition });
    const rows = new Map(page.rows.map((row) => [row.rowKey, row as BankTotalRow]));
    const items = banks.map((bank) => ({
      bank: bank.id,
      bankName: bank.name,
      totalCents: rows.get(bank.id)?.totalCents ?? 0,
      accounts: rows.get(bank.id)?.accounts ?? 0,
    }));
    return c.json({ items }, 200);
  });

  app.openapi(customer, async (c) => {
    const { customer: id } = c.req.valid('param');
    const [accounts, recent] = await Promise.all([
      runtime.views.query(balanceTables.balances, { partitionKey: id }),
      runtime.views.query(eventLogTable, { partitionKey: logPartition, filter: logKeyFilter(logRange.customer(id)), limit: c.req.valid('query').limit ?? 20 }),
    ]);
    if (accounts.rows.length === 0) throw problems.notFound(`No account for customer ${id} at any bank.`);
    const items = accounts.rows.map(toBalance);
    return c.json(
      {
        customer: id,
        totalCents: items.reduce((sum, row) => sum + (row as unknown as BalanceRow).balanceCents, 0),
        accounts: items,
        recent: recent.rows.map(toLogEntry),
      },
      200,
    );
  });

  app.openapi(asOf, async (c) => {
    const { customer: id } = c.req.valid('param');
    const { bank, asOf: at } = c.req.valid('query');
    const instant = at ? new Date(at) : new Date();
    const wanted: BankId[] = bank ? [bank] : banks.map((b) => b.id);
    const states = await Promise.all(
      wanted.map(async (b) => {
        const { state, version } = await runtime.loadState<AccountState>('account', accountStream(id, b), { asOf: instant });
        return { bank: b, bankName: bankById(b).name, opened: state.opened, balanceCents: state.balanceCents, version };
      }),
    );
    // Without a bank, show the accounts that existed then; with one, always answer for it.
    const accounts = bank ? states : states.filter((s) => s.opened);
    return c.json(
      { customer: id, asOf: instant.toISOString(), totalCents: accounts.reduce((sum, a) => sum + a.balanceCents, 0), accounts },
      200,
    );
  });
}
