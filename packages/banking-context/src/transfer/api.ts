import { cursorParam, defineRoute, limitParam, problems, processStepped, readPage, withoutKeys, type AppEnv, type ContextRuntime, type Principal, type ProcessInstance, type ProcessRunner } from '@eventloom/core';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import { bankById, bankByName, bankId } from '../banks.ts';
import { amountCents, customerId } from '../account/fields.ts';
import type { TransferRequest, TransferState } from './process.ts';
import { transferPartitions, transfersTable } from './projection.ts';

const transferIdField = z.string().regex(/^[A-Za-z0-9_-]{1,56}$/, 'transferId must be 1-56 letters, digits, _ or -');
const Account = z.object({ customer: customerId, bank: bankId });

const TransferBody = z
  .object({
    transferId: transferIdField.optional().openapi({ description: 'Your id for the transfer: sending it again starts nothing new (default: a new one)' }),
    from: Account.openapi({ description: 'The account money leaves: at your bank' }),
    to: Account.openapi({ description: 'The account money goes to: at another bank' }),
    amountCents,
  })
  .strict()
  .refine((body) => body.from.bank !== body.to.bank, { message: 'a transfer goes between two banks', path: ['to', 'bank'] })
  .openapi('TransferRequest');

const TransferStatus = z
  .object({
    transferId: z.string(),
    step: z.enum(['withdrawing', 'depositing', 'expiring', 'refunding', 'completed', 'compensated', 'rejected', 'attention']),
    done: z.boolean(),
    reason: z.string().optional().openapi({ description: 'Why it did not complete: a refusal code, or `timeout`' }),
    detail: z.string().optional(),
    from: Account,
    to: Account,
    amountCents: z.number().int(),
    requestedBy: z.string(),
    correlationId: z.string(),
    statusUrl: z.string(),
    duplicate: z.boolean().optional(),
    timeline: z.array(z.object({ at: z.string(), input: z.string(), step: z.string() })).openapi({ description: 'Each input the transfer met and the step it led to' }),
  })
  .openapi('TransferStatus');

const Problem = z.object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string().optional() }).passthrough().openapi('TransferProblem');
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

const start = defineRoute({
  method: 'post',
  path: '/transfers',
  tags: ['banking'],
  roles: ['owner', 'admin'],
  summary: 'Move money from an account at your bank to an account at another bank (a process: withdraw, deposit, or refund)',
  request: {
    headers: z.object({ prefer: z.string().optional().openapi({ description: '`wait=N`: answer once the transfer has finished (up to N seconds)' }) }),
    body: { content: { 'application/json': { schema: TransferBody } }, required: true },
  },
  responses: {
    200: { description: 'Finished (with Prefer: wait): completed, compensated or rejected', content: { 'application/json': { schema: TransferStatus } } },
    202: { description: 'Started: follow `statusUrl`', content: { 'application/json': { schema: TransferStatus } } },
    400: problem('Invalid fields; nothing started'),
    403: problem('An owner sending from another bank’s account, or a consumer'),
  },
});

const TransferSummary = z
  .object({
    transferId: z.string(),
    step: TransferStatus.shape.step,
    done: z.boolean(),
    reason: z.string().optional(),
    detail: z.string().optional(),
    fromCustomer: z.string(),
    fromBank: bankId,
    toCustomer: z.string(),
    toBank: bankId,
    amountCents: z.number().int(),
    requestedBy: z.string(),
    startedAt: z.string(),
    updatedAt: z.string(),
    correlationId: z.string(),
  })
  .openapi('TransferSummary');

const list = defineRoute({
  method: 'get',
  path: '/transfers',
  tags: ['banking'],
  roles: ['owner', 'admin'],
  summary: 'Transfers newest first, by bank and customer (owners: their bank’s, leaving or arriving); page with the cursor',
  request: {
    query: z.object({
      bank: bankId.optional().openapi({ description: 'Owners: their own bank (the default); admins: any, or all banks' }),
      customer: customerId.optional(),
      limit: limitParam,
      cursor: cursorParam,
    }),
  },
  responses: {
    200: {
      description: 'A page of transfers (the list follows each transfer a moment behind its status)',
      content: { 'application/json': { schema: z.object({ items: z.array(TransferSummary), cursor: z.string().optional() }) } },
    },
    403: problem('An owner asking for another bank’s transfers'),
  },
});

const status = defineRoute({
  method: 'get',
  path: '/transfers/{transferId}',
  tags: ['banking'],
  // Consumers follow the links of the transfer's published events here.
  roles: ['owner', 'admin', 'consumer'],
  summary: 'A transfer: its step, why it did not complete, and its timeline',
  request: { params: z.object({ transferId: transferIdField }) },
  responses: {
    200: { description: 'The transfer', content: { 'application/json': { schema: TransferStatus } } },
    403: problem('A caller without banking in its scope'),
    404: problem('No such transfer'),
  },
});

export function transferRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  const transfers = () => runtime.processes?.get('transfer') as ProcessRunner<TransferState, TransferRequest> | undefined;

  app.openapi(start, async (c) => {
    const principal = c.get('principal')!;
    const body = c.req.valid('json');
    mayStartFrom(principal, body.from.bank);
    const runner = transfers();
    if (!runner) throw problems.unavailable('transfers are not running in this process');
    const request: TransferRequest = { transferId: body.transferId ?? randomUUID().replaceAll('-', ''), from: body.from, to: body.to, amountCents: body.amountCents, requestedBy: principal.sub };
    const { instance, duplicate } = await runner.begin(request, { principal });
    const waitSeconds = Math.min(30, Number(/wait=(\d+)/.exec(c.req.header('prefer') ?? '')?.[1] ?? 0));
    let current = await runner.load(instance);
    for (const until = performance.now() + waitSeconds * 1000; current && !current.done && performance.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      current = await runner.load(instance);
    }
    if (!current) throw problems.unavailable(`transfer ${instance} was not recorded; send it again with the same transferId`);
    // A repeat is the same caller's same transfer; anything else under its id is another transfer.
    const first = current.state.request;
    const same = first?.requestedBy === request.requestedBy && first.amountCents === request.amountCents && JSON.stringify([first.from, first.to]) === JSON.stringify([request.from, request.to]);
    if (duplicate && !same) throw problems.conflict(`transfer ${instance} exists already with other details; choose another transferId`);
    return c.json({ ...view(current), duplicate }, current.done && waitSeconds > 0 ? 200 : 202) as never;
  });

  app.openapi(list, async (c) => {
    const principal = c.get('principal')!;
    const query = c.req.valid('query');
    let bank = query.bank;
    if (principal.role !== 'admin') {
      const own = bankByName(principal.bank)?.id;
      if (!own || (bank && bank !== own)) throw problems.forbidden(`You see the transfers of ${own ? bankById(own).name : 'your bank'} only.`);
      bank = own;
    }
    const partitionKey = bank
      ? query.customer
        ? transferPartitions.bankCustomer(bank, query.customer)
        : transferPartitions.bank(bank)
      : query.customer
        ? transferPartitions.customer(query.customer)
        : transferPartitions.all;
    const page = await readPage(runtime.views, transfersTable, { partitionKey, limit: query.limit ?? 50, ...(query.cursor ? { cursor: query.cursor } : {}) });
    return c.json({ items: page.rows.map((row) => withoutKeys(row) as z.infer<typeof TransferSummary>), ...(page.cursor ? { cursor: page.cursor } : {}) }, 200);
  });

  app.openapi(status, async (c) => {
    const principal = c.get('principal')!;
    const { transferId } = c.req.valid('param');
    const current = await transfers()?.load(transferId);
    const request = current?.state.request;
    // Owners see transfers of their own bank only; not found looks the same as not theirs.
    // A consumer with banking in its scope (the gateway checked) reads what the feed links to.
    const own = principal.role !== 'owner' || (request && [request.from.bank, request.to.bank].includes(bankByName(principal.bank)?.id as never));
    if (!current || !request || !own) throw problems.notFound(`no transfer ${transferId}`);
    return c.json(view(current), 200) as never;
  });
}

function mayStartFrom(principal: Principal, bank: z.infer<typeof bankId>): void {
  if (principal.role === 'admin') return;
  const own = bankByName(principal.bank);
  if (principal.role === 'owner' && own?.id === bank) return;
  throw problems.forbidden(own ? `You own ${own.name}; a transfer you start leaves from an account there, not at ${bankById(bank).name}.` : 'Only a bank’s owner starts transfers from its accounts.');
}

function view(current: ProcessInstance<TransferState>) {
  const request = current.state.request!;
  return {
    transferId: request.transferId,
    step: current.state.step,
    done: current.done,
    ...(current.state.reason ? { reason: current.state.reason } : {}),
    ...(current.state.detail ? { detail: current.state.detail } : {}),
    from: request.from,
    to: request.to,
    amountCents: request.amountCents,
    requestedBy: request.requestedBy,
    correlationId: current.correlationId,
    statusUrl: `/api/banking/transfers/${request.transferId}`,
    // The steps (a decision's published events stand beside it in the stream).
    timeline: current.history.filter((event) => event.type === processStepped).map((event) => {
      const data = event.data as { input: { kind: string; step?: string; timer?: string; outcome?: string; code?: string; events?: { type: string; data: { code?: string } }[] }; state: TransferState };
      const input = data.input;
      // A refusal the account stored (so every send of the step gets it) reads as the refusal it is.
      const storedRefusal = input.events?.find((e) => e.type === 'TransferWithdrawalRefused');
      const outcome = storedRefusal ? 'refused' : input.outcome;
      const code = storedRefusal?.data.code ?? input.code;
      const said = input.kind === 'answer' ? `${input.step} ${outcome}${code ? ` (${code})` : ''}` : input.kind === 'timer' ? `timer ${input.timer}` : input.kind;
      return { at: event.occurredAt, input: said, step: data.state.step };
    }),
  };
}
