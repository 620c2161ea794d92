import { answerCommand, defineRoute, type AppEnv, type CommandAccepted, type CommandRequest, type ContextRuntime } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bankId, type BankId } from '../banks.ts';
import { amountCents, customerId, memo } from './fields.ts';

const transactionTypes = ['deposit', 'withdraw', 'void'] as const;
type TransactionType = (typeof transactionTypes)[number];

const AccountParams = z.object({ customer: customerId, bank: bankId });
const MoneyBody = z.object({ amountCents: amountCents.openapi({ example: 2500 }), memo: memo.optional().openapi({ example: 'March salary' }) }).strict().openapi('MoneyMovement');
const VoidBody = z.object({ memo: memo.optional().openapi({ example: 'Registered at the branch' }) }).strict().openapi('Void');
const FreezeBody = z.object({ memo: memo.optional().openapi({ description: 'Why (shown in the event log)', example: 'Card reported stolen' }) }).strict().openapi('Freeze');

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
    events: z.array(z.object({ id: z.string(), type: z.string(), version: z.number().int(), occurredAt: z.string(), data: z.unknown() })).openapi({ description: 'What the command stored' }),
    balanceAfterCents: z.number().int().optional(),
  })
  .passthrough()
  .openapi('TransactionAccepted');

const Problem = z
  .object({
    type: z.string().openapi({ example: 'https://eventloom.dev/problems/account-frozen' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .passthrough()
  .openapi('BankingProblem');
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

/** The answers of an account command; `refused` names the 422 problems it can meet (a void meets none). */
const commandResponses = (refused?: string) => ({
  200: { description: 'Applied: the views show it (with Prefer: wait)', content: { 'application/json': { schema: Accepted } } },
  202: { description: 'Accepted: stored; the views follow', content: { 'application/json': { schema: Accepted } } },
  400: problem('Invalid fields (`errors`); nothing written'),
  403: problem('An owner at another bank (`errors.bank`), or a consumer'),
  ...(refused ? { 422: problem(`Refused, the code at the end of \`type\`; nothing written. ${refused}`) } : {}),
});

const moneyRefusals =
  '`account-frozen`: the account is frozen; `insufficient-funds`: the withdrawal would overdraw the account; `balance-limit`: the deposit would pass the most an account may hold';

const transactRoles: ('owner' | 'admin')[] = ['owner', 'admin'];

const transaction = defineRoute({
  method: 'post',
  path: '/transactions',
  operationId: 'banking.transact',
  tags: ['banking'],
  roles: transactRoles,
  summary: 'Deposit, withdraw or void on a customer’s account (the transaction form)',
  request: { headers: CommandHeaders, body: { content: { 'application/json': { schema: TransactionBody } }, required: true } },
  responses: commandResponses(moneyRefusals),
});

/** A command on one account; its operation is named by the command (`banking.deposit`), as a generated client's method. */
const accountRoute = <B extends typeof MoneyBody | typeof VoidBody | typeof FreezeBody>(path: string, command: string, summary: string, body: B, refused?: string) =>
  defineRoute({
    method: 'post',
    path: `/accounts/{customer}/{bank}/${path}`,
    operationId: `banking.${command}`,
    tags: ['banking'],
    roles: transactRoles,
    summary,
    request: { params: AccountParams, headers: CommandHeaders, body: { content: { 'application/json': { schema: body } }, required: true } },
    responses: commandResponses(refused),
  });

const deposits = accountRoute('deposits', 'deposit', 'Deposit into an account', MoneyBody, moneyRefusals);
const withdrawals = accountRoute('withdrawals', 'withdraw', 'Withdraw from an account (never below zero)', MoneyBody, moneyRefusals);
const voids = accountRoute('voids', 'void', 'Void: register the customer at the bank, no money moves', VoidBody);
const freeze = accountRoute('freeze', 'freeze', 'Freeze an account: it refuses deposits and withdrawals until unfrozen', FreezeBody, '`already-frozen`; `no-account`: the customer has no account at the bank');
const unfreeze = accountRoute('unfreeze', 'unfreeze', 'Unfreeze an account: it takes deposits and withdrawals again', FreezeBody, '`not-frozen`');

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

  const freezing = async (c: Context<AppEnv>, command: 'freeze' | 'unfreeze', input: { customer: string; bank: BankId; memo?: string }) =>
    answerCommand(c, runtime, await runtime.execute('account', command, input, commandRequest(c)));
  app.openapi(freeze, async (c) => (await freezing(c, 'freeze', { ...c.req.valid('param'), ...c.req.valid('json') })) as never);
  app.openapi(unfreeze, async (c) => (await freezing(c, 'unfreeze', { ...c.req.valid('param'), ...c.req.valid('json') })) as never);
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
