import { answerCommand, defineRoute, type AppEnv, type CommandAccepted, type CommandRequest, type ContextRuntime } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bankId, type BankId } from '../banks.ts';
import { amountCents, customerId, memo } from './fields.ts';

const transactionTypes = ['deposit', 'withdraw', 'void'] as const;
type TransactionType = (typeof transactionTypes)[number];

const AccountParams = z.object({ customer: customerId, bank: bankId });
const MoneyBody = z.object({ amountCents, memo: memo.optional() }).strict().openapi('MoneyMovement');
const VoidBody = z.object({ memo: memo.optional() }).strict().openapi('Void');

/** What the portal's transaction form posts: one body for all three types. */
export const TransactionBody = z
  .object({
    customer: customerId,
    bank: bankId,
    type: z.enum(transactionTypes, { error: 'type must be deposit, withdraw or void' }),
    amountCents: amountCents.optional(),
    memo: memo.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.type !== 'void' && body.amountCents === undefined) {
      ctx.addIssue({ code: 'custom', path: ['amountCents'], message: `amountCents is required for a ${body.type}` });
    }
    if (body.type === 'void' && body.amountCents !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['amountCents'], message: 'a void moves no money; leave amountCents out' });
    }
  })
  .openapi('Transaction');

const CommandHeaders = z.object({
  'idempotency-key': z.string().optional().openapi({ description: 'Applies the command once; a repeat returns the first answer with duplicate: true.' }),
  prefer: z.string().optional().openapi({ description: '`wait=N`: answer 200 once the views show the result (up to N seconds).' }),
});

const Accepted = z
  .object({
    commandId: z.string(),
    status: z.enum(['accepted', 'applied']),
    statusUrl: z.string(),
    stream: z.string(),
    duplicate: z.boolean(),
    balanceAfterCents: z.number().int().optional(),
  })
  .passthrough()
  .openapi('TransactionAccepted');

const commandResponses = {
  200: { description: 'Applied: the views show it (with Prefer: wait)', content: { 'application/json': { schema: Accepted } } },
  202: { description: 'Accepted: stored; the views follow', content: { 'application/json': { schema: Accepted } } },
  400: { description: 'Invalid fields (problem JSON with `errors`); nothing written' },
  403: { description: 'An owner at another bank, or a consumer' },
  422: { description: '`insufficient-funds`: the withdrawal would overdraw the account' },
} as const;

const transactRoles: ('owner' | 'admin')[] = ['owner', 'admin'];

const transaction = defineRoute({
  method: 'post',
  path: '/transactions',
  tags: ['banking'],
  roles: transactRoles,
  summary: 'Deposit, withdraw or void on a customer’s account (the transaction form)',
  request: { headers: CommandHeaders, body: { content: { 'application/json': { schema: TransactionBody } }, required: true } },
  responses: commandResponses,
});

const accountRoute = <B extends typeof MoneyBody | typeof VoidBody>(path: string, summary: string, body: B) =>
  defineRoute({
    method: 'post',
    path: `/accounts/{customer}/{bank}/${path}`,
    tags: ['banking'],
    roles: transactRoles,
    summary,
    request: { params: AccountParams, headers: CommandHeaders, body: { content: { 'application/json': { schema: body } }, required: true } },
    responses: commandResponses,
  });

const deposits = accountRoute('deposits', 'Deposit into an account', MoneyBody);
const withdrawals = accountRoute('withdrawals', 'Withdraw from an account (never below zero)', MoneyBody);
const voids = accountRoute('voids', 'Void: register the customer at the bank, no money moves', VoidBody);

const commandOf: Record<TransactionType, string> = { deposit: 'deposit', withdraw: 'withdraw', void: 'void' };

export function accountRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  const transact = async (c: Context<AppEnv>, type: TransactionType, input: { customer: string; bank: BankId; amountCents?: number; memo?: string }) => {
    const accepted = await runtime.execute('account', commandOf[type], input, commandRequest(c));
    return answerCommand(c, runtime, accepted, balanceAfter(accepted));
  };

  app.openapi(transaction, async (c) => {
    const { type, ...input } = c.req.valid('json');
    return (await transact(c, type, input)) as never;
  });
  app.openapi(deposits, async (c) => (await transact(c, 'deposit', { ...c.req.valid('param'), ...c.req.valid('json') })) as never);
  app.openapi(withdrawals, async (c) => (await transact(c, 'withdraw', { ...c.req.valid('param'), ...c.req.valid('json') })) as never);
  app.openapi(voids, async (c) => (await transact(c, 'void', { ...c.req.valid('param'), ...c.req.valid('json') })) as never);
}

function commandRequest(c: Context<AppEnv>): CommandRequest {
  const idempotencyKey = c.req.header('Idempotency-Key');
  return { principal: c.get('principal')!, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) };
}

/** The balance the command left, so a form can show it before the views catch up. */
function balanceAfter(accepted: CommandAccepted): { balanceAfterCents?: number } {
  const last = accepted.events.findLast((e) => typeof (e.data as { balanceAfterCents?: unknown }).balanceAfterCents === 'number');
  return last ? { balanceAfterCents: (last.data as { balanceAfterCents: number }).balanceAfterCents } : {};
}
