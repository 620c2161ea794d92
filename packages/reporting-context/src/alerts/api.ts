import { answerCommand, defineRoute, problems, type AppEnv, type ContextRuntime, type ViewRow } from '@eventloom/core';
import { bankByName, banks } from '@eventloom/banking-context/contracts';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deciders, readers } from '../roles.ts';
import { readAll } from '../views.ts';
import { alertId, decideInput } from './decide.ts';
import { decisionPartition } from './decisions.ts';
import { decisions } from './events.ts';
import { alertPartition, type AlertRow } from './projection.ts';

const states = ['open', 'investigated', 'dismissed'] as const;
type AlertState = (typeof states)[number];

const Movement = z.object({
  eventId: z.string().openapi({ description: 'The banking event (Withdrawn or Deposited)' }),
  bank: z.string(),
  bankName: z.string(),
  amountCents: z.number().int(),
  at: z.string(),
});
const Alert = z
  .object({
    id: z.string(),
    customer: z.string(),
    state: z.enum(states),
    withdrawal: Movement,
    deposit: Movement,
    gapSeconds: z.number().int().openapi({ description: 'Time between the two transactions' }),
    differenceCents: z.number().int().openapi({ description: 'Deposit minus withdrawal' }),
    decision: z.object({ decision: z.enum(decisions), note: z.string(), by: z.string(), at: z.string() }).nullable(),
  })
  .openapi('CrossBankAlert');
const IdParam = z.object({ id: alertId });
const DecisionBody = z
  .object({
    decision: decideInput.shape.decision,
    note: decideInput.shape.note,
    freezeReceivingAccount: z
      .boolean()
      .optional()
      .openapi({ description: 'With `investigated`: ask banking to freeze the account that received the deposit (its bank’s owner or an admin only)' }),
  })
  .strict()
  .openapi('AlertDecision');
const Accepted = z.object({ commandId: z.string(), status: z.enum(['accepted', 'applied']), statusUrl: z.string() }).passthrough();

const listAlerts = defineRoute({
  method: 'get',
  path: '/alerts',
  tags: ['reporting'],
  roles: readers,
  reveals: ['banking'],
  summary: 'Cross-bank movement alerts, newest first',
  request: {
    query: z.object({
      state: z.enum([...states, 'decided', 'all']).default('all').openapi({ description: '`decided` = investigated or dismissed' }),
      customer: z.string().max(64).optional(),
    }),
  },
  responses: {
    200: {
      description: 'Alerts, and how many are in each state',
      content: { 'application/json': { schema: z.object({ items: z.array(Alert), counts: z.record(z.enum(states), z.number().int()) }) } },
    },
  },
});

const oneAlert = defineRoute({
  method: 'get',
  path: '/alerts/{id}',
  tags: ['reporting'],
  roles: readers,
  reveals: ['banking'],
  summary: 'One cross-bank alert',
  request: { params: IdParam },
  responses: { 200: { description: 'The alert', content: { 'application/json': { schema: Alert } } }, 404: { description: 'No such alert' } },
});

const decide = defineRoute({
  method: 'post',
  path: '/alerts/{id}/decisions',
  tags: ['reporting'],
  roles: deciders,
  reveals: ['banking'],
  summary: 'Mark an alert investigated or dismissed, with a note (once per alert)',
  request: {
    params: IdParam,
    headers: z.object({ 'idempotency-key': z.string().optional(), prefer: z.string().optional().openapi({ example: 'wait=5' }) }),
    body: { content: { 'application/json': { schema: DecisionBody } }, required: true },
  },
  responses: {
    200: { description: 'Decided and in the view (with Prefer: wait)', content: { 'application/json': { schema: Accepted } } },
    202: { description: 'Decided; the view follows', content: { 'application/json': { schema: Accepted } } },
    400: { description: 'Invalid decision or note' },
    403: { description: 'An owner whose bank is on neither side of the alert, or who asks to freeze another bank’s account' },
    404: { description: 'No such alert' },
    422: { description: '`alert-decided`: the alert was decided before' },
  },
});

const bankName = (id: string) => banks.find((bank) => bank.id === id)?.name ?? id;

function toAlert(row: ViewRow, decision: ViewRow | undefined): z.infer<typeof Alert> {
  const alert = row as AlertRow;
  return {
    id: alert.alertId,
    customer: alert.customer,
    state: decision ? (decision.decision as AlertState) : 'open',
    withdrawal: { eventId: alert.withdrawalEventId, bank: alert.withdrawalBank, bankName: bankName(alert.withdrawalBank), amountCents: Number(alert.withdrawalCents), at: alert.withdrawnAt },
    deposit: { eventId: alert.depositEventId, bank: alert.depositBank, bankName: bankName(alert.depositBank), amountCents: Number(alert.depositCents), at: alert.depositedAt },
    gapSeconds: Number(alert.gapSeconds),
    differenceCents: Number(alert.differenceCents),
    decision: decision
      ? { decision: decision.decision as (typeof decisions)[number], note: String(decision.note), by: String(decision.decidedBy), at: String(decision.decidedAt) }
      : null,
  };
}

export function alertRoutes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime): void {
  app.openapi(listAlerts, async (c) => {
    const { state, customer } = c.req.valid('query');
    // Alerts and decisions are two small views from two feeds; they meet here.
    const [rows, decided] = await Promise.all([
      readAll(runtime.views, 'Alerts', { partitionKey: alertPartition }),
      readAll(runtime.views, 'AlertDecisions', { partitionKey: decisionPartition }),
    ]);
    const decisionOf = new Map(decided.map((row) => [row.rowKey, row]));
    const all = rows
      .filter((row) => customer === undefined || row.customer === customer)
      .map((row) => toAlert(row, decisionOf.get(row.rowKey)))
      .sort((a, b) => b.deposit.at.localeCompare(a.deposit.at) || b.id.localeCompare(a.id));
    const counts = { open: 0, investigated: 0, dismissed: 0 };
    for (const alert of all) counts[alert.state]++;
    const items = all.filter((alert) => state === 'all' || alert.state === state || (state === 'decided' && alert.state !== 'open'));
    return c.json({ items, counts }, 200);
  });

  app.openapi(oneAlert, async (c) => {
    const id = c.req.valid('param').id.toLowerCase();
    const alert = await findAlert(runtime, id);
    return c.json(alert, 200);
  });

  app.openapi(decide, async (c) => {
    const id = c.req.valid('param').id.toLowerCase();
    const alert = await findAlert(runtime, id);
    const principal = c.get('principal')!;
    if (principal.role === 'owner' && !involves(alert, principal.bank)) {
      throw problems.forbidden(`This alert is between ${alert.withdrawal.bankName} and ${alert.deposit.bankName}; an owner decides only alerts that involve their bank.`);
    }
    const { freezeReceivingAccount, ...decision } = c.req.valid('json');
    // Freezing acts at the receiving bank: its owner's call (or an admin's), not the other side's.
    if (freezeReceivingAccount && principal.role === 'owner' && bankByName(principal.bank)?.id !== alert.deposit.bank) {
      throw problems.forbidden(`Only ${alert.deposit.bankName}'s owner (or an admin) may freeze the account that received the deposit.`);
    }
    const freeze = freezeReceivingAccount ? { freeze: { customer: alert.customer, bank: alert.deposit.bank } } : {};
    const accepted = await runtime.execute('alert', 'decide', { alertId: id, ...decision, ...freeze }, commandRequest(c));
    return answerCommand(c, runtime, accepted) as never;
  });
}

/** Whether an owner's bank (named as on their token: name or id) is one side of the alert. */
function involves(alert: z.infer<typeof Alert>, ownBank: string | undefined): boolean {
  const own = bankByName(ownBank)?.id;
  return own !== undefined && (alert.withdrawal.bank === own || alert.deposit.bank === own);
}

async function findAlert(runtime: ContextRuntime, id: string) {
  const [row, decision] = await Promise.all([runtime.views.get('Alerts', alertPartition, id), runtime.views.get('AlertDecisions', decisionPartition, id)]);
  if (!row) throw problems.notFound(`There is no cross-bank alert ${id}.`);
  return toAlert(row, decision);
}

function commandRequest(c: Context<AppEnv>) {
  const idempotencyKey = c.req.header('Idempotency-Key');
  return { principal: c.get('principal')!, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) };
}
