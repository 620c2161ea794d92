import { defineAggregate, defineContext, defineEvent, defineProjection, problems, type EventEnvelope } from '@eventloom/core';
import { z } from 'zod';
import { transferProcess } from './transfers.ts';

/**
 * The simulator's own context: small enough to recompute by hand, wide enough to use
 * every write path of the core. Every command carries an `op` id, so the checks can
 * count how often each acknowledged operation landed in the store.
 */

const op = z.string().min(1).max(64);
const account = z.string().regex(/^[a-z0-9-]{1,24}$/);

export const Deposited = defineEvent('Deposited', { schema: z.object({ op, account, cents: z.number().int(), poison: z.boolean().optional() }) });
export const Withdrawn = defineEvent('Withdrawn', { schema: z.object({ op, account, cents: z.number().int() }) });
export const Noted = defineEvent('Noted', { schema: z.object({ op, account, text: z.string() }) });
export const Closed = defineEvent('Closed', { schema: z.object({ op, account }) });
export const Reopened = defineEvent('Reopened', { schema: z.object({ op, account }) });
/** A transfer's step refused (closed, insufficient funds): stored, so every send of the step gets this answer (transfers.ts). */
export const TransferRefused = defineEvent('TransferRefused', { schema: z.object({ op, account, transfer: z.string(), code: z.string() }) });
export const Paid = defineEvent('Paid', { schema: z.object({ key: z.string(), partition: z.string(), cents: z.number().int(), memo: z.string().optional() }) });

interface AccountState {
  balance: number;
  open: boolean;
}

export const accountStream = (id: string) => `acct-${id}`;

/** A refusal: a 422 for people, an event for a transfer's step (durable under the step's key). */
function refuse(input: { op: string; account: string; transfer?: string }, code: string, detail: string) {
  if (!input.transfer) throw problems.rejected(code, detail);
  return [TransferRefused({ op: input.op, account: input.account, transfer: input.transfer, code })];
}

const accounts = defineAggregate({
  name: 'account',
  initialState: (): AccountState => ({ balance: 0, open: true }),
  evolve(state: AccountState, event: EventEnvelope): AccountState {
    const data = event.data as { cents?: number };
    switch (event.type) {
      case Deposited.type:
        return { ...state, balance: state.balance + data.cents! };
      case Withdrawn.type:
        return { ...state, balance: state.balance - data.cents! };
      case Closed.type:
        return { ...state, open: false };
      case Reopened.type:
        return { ...state, open: true };
      default:
        return state;
    }
  },
  // Long streams load from snapshots often.
  snapshotEvery: 10,
  commands: {
    deposit: {
      schema: z
        .object({ op, account, cents: z.number().int().min(1).max(100_000), parts: z.number().int().min(1).max(40).default(1), poison: z.boolean().optional(), transfer: z.string().max(64).optional() })
        .strict(),
      stream: (input: { account: string }) => accountStream(input.account),
      decide(input: { op: string; account: string; cents: number; parts: number; poison?: boolean; transfer?: string }, state: AccountState) {
        if (!state.open) return refuse(input, 'closed', `account ${input.account} is closed`);
        // A deposit in parts is one command appending several events at once.
        return Array.from({ length: input.parts }, () => Deposited({ op: input.op, account: input.account, cents: input.cents, ...(input.poison ? { poison: true } : {}) }));
      },
    },
    withdraw: {
      schema: z.object({ op, account, cents: z.number().int().min(1).max(100_000), transfer: z.string().max(64).optional() }).strict(),
      stream: (input: { account: string }) => accountStream(input.account),
      decide(input: { op: string; account: string; cents: number; transfer?: string }, state: AccountState) {
        if (!state.open) return refuse(input, 'closed', `account ${input.account} is closed`);
        if (state.balance < input.cents) return refuse(input, 'insufficient-funds', `balance ${state.balance} is below ${input.cents}`);
        return [Withdrawn({ op: input.op, account: input.account, cents: input.cents })];
      },
    },
    note: {
      schema: z.object({ op, account, text: z.string().max(200_000) }).strict(),
      stream: (input: { account: string }) => accountStream(input.account),
      decide: (input: { op: string; account: string; text: string }) => [Noted(input)],
    },
    close: {
      schema: z.object({ op, account }).strict(),
      stream: (input: { account: string }) => accountStream(input.account),
      decide(input: { op: string; account: string }, state: AccountState) {
        if (!state.open) throw problems.rejected('closed', `account ${input.account} is closed`);
        if (state.balance !== 0) throw problems.rejected('not-empty', `account ${input.account} holds ${state.balance}`);
        return [Closed(input)];
      },
    },
    reopen: {
      schema: z.object({ op, account }).strict(),
      stream: (input: { account: string }) => accountStream(input.account),
      decide(input: { op: string; account: string }, state: AccountState) {
        if (state.open) throw problems.rejected('open', `account ${input.account} is open`);
        return [Reopened(input)];
      },
    },
  },
});

/**
 * Deposits flagged `poison` make the `audit` handler throw until their op is in this
 * set: a bug the simulator ships and later fixes (then asks for the dead letter to be
 * retried). Shared by every simulated process, as code is.
 */
export const fixedOps = new Set<string>();

/**
 * Balance per open account; a closed account's row is deleted (a tombstone underneath).
 * A row is one account's stream, so it runs per feed partition (a runner and lease each).
 */
const balances = defineProjection({
  name: 'balances',
  tables: ['Balances'],
  handles: [Deposited.type, Withdrawn.type, Closed.type, Reopened.type],
  partitioned: true,
  async apply(entry, { view }) {
    const data = entry.data as { account: string; cents?: number };
    const table = view('Balances');
    if (entry.type === Closed.type) return table.update('acct', data.account, () => null);
    const delta = entry.type === Deposited.type ? data.cents! : entry.type === Withdrawn.type ? -data.cents! : 0;
    await table.update('acct', data.account, (row) => ({
      partitionKey: 'acct',
      rowKey: data.account,
      balance: Number(row?.balance ?? 0) + delta,
      events: Number(row?.events ?? 0) + 1,
    }));
  },
});

/** Counts and sums per event type: commutative, so a retried dead letter lands the same anywhere. */
const auditTruth = defineProjection({
  name: 'audit',
  tables: ['Audit', 'Audited'],
  handles: [Deposited.type, Withdrawn.type, Noted.type, Closed.type, Reopened.type, Paid.type],
  async apply(entry, { view }) {
    const data = entry.data as { cents?: number; text?: string };
    // One row per event too (a put): a check names the very events a view lacks.
    view('Audited').put({ partitionKey: entry.stream, rowKey: entry.id, type: entry.type });
    await view('Audit').update(entry.type, 'all', (row) => ({
      partitionKey: entry.type,
      rowKey: 'all',
      count: Number(row?.count ?? 0) + 1,
      cents: Number(row?.cents ?? 0) + (data.cents ?? 0),
      chars: Number(row?.chars ?? 0) + (data.text?.length ?? 0),
    }));
  },
});

const audit = defineProjection({
  ...auditTruth,
  async apply(entry, context) {
    const data = entry.data as { op?: string; poison?: boolean };
    if (data.poison && !fixedOps.has(data.op!)) throw new Error(`audit cannot handle ${data.op} (a bug the simulator shipped)`);
    await auditTruth.apply(entry, context);
  },
});

/** Ingested payments per partition, and the last note of each account (a put over older rows). */
const payments = defineProjection({
  name: 'payments',
  tables: ['Payments', 'Notes'],
  handles: [Paid.type, Noted.type],
  async apply(entry, { view }) {
    if (entry.type === Noted.type) {
      const data = entry.data as { account: string; text: string; op: string };
      view('Notes').put({ partitionKey: 'note', rowKey: data.account, op: data.op, length: data.text.length });
      return;
    }
    const data = entry.data as { partition: string; cents: number };
    await view('Payments').update(data.partition, 'sum', (row) => ({
      partitionKey: data.partition,
      rowKey: 'sum',
      count: Number(row?.count ?? 0) + 1,
      cents: Number(row?.cents ?? 0) + data.cents,
    }));
  },
});

/** What each view must hold: the projections without the shipped bug. */
export const truths = [balances, auditTruth, payments];

export const ledger = defineContext({
  name: 'ledger',
  events: [Deposited, Withdrawn, Noted, Closed, Reopened, Paid, TransferRefused],
  aggregates: [accounts],
  // Money moved between accounts by a process: withdraw, a timer, deposit, or refund (transfers.ts).
  processes: [transferProcess],
  projections: [balances, audit, payments],
  // What consumers receive (the webhook deliveries): every event but the notes.
  contracts: {
    published: [Deposited, Withdrawn, Closed, Reopened, Paid].map((event) => ({ event, style: 'delta' as const })),
  },
});

/** Event types consumers receive. */
export const publishedTypes: ReadonlySet<string> = new Set([Deposited.type, Withdrawn.type, Closed.type, Reopened.type, Paid.type]);
