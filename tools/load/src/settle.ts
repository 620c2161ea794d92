import { setTimeout as sleep } from 'node:timers/promises';
import { api } from './api.ts';
import type { Callers } from './callers.ts';
import { Gateway } from './gateway.ts';
import { accountName, type AccountRef, type Ledger } from './ledger.ts';
import { Tally } from './tally.ts';
import { book, sendMoneyWrite } from './writes.ts';

/**
 * Before the load: waits until the banking feed has stopped moving (the demo seed is in)
 * and reads the starting balances. After it: sends unanswered writes again with their
 * keys, waits for the projections, and holds the store, the balances view and a rebuilt
 * balances view to the ledger.
 */
interface Overview {
  contexts: { name: string; feedHead: number; projections: { name: string; lag: number; state: string }[] }[];
}

export interface Mismatch {
  account: string;
  where: 'store' | 'view' | 'rebuilt view';
  expected: number;
  got: number;
}

export interface Settlement {
  /** Writes sent again after the run because their first answer was unclear. */
  resent: number;
  /** Of those, still without a clear answer: their accounts cannot be judged. */
  unresolved: number;
  caughtUp: boolean;
  caughtUpMs: number;
  mismatches: Mismatch[];
  rebuild: { state: string; ms: number; events?: number; error?: string };
  /** Why the checks after the load could not run (the gateway stopped answering). */
  error?: string;
}

/**
 * True once the context's feed head has not moved for `stableMs` and every projection of
 * it is at the head; with `seeded`, only after the head has left 0 (the demo seed ran).
 */
export async function waitForQuiet(gatewayUrl: string, admin: string, options: { context?: string; stableMs?: number; timeoutMs: number; seeded?: boolean }): Promise<boolean> {
  const context = options.context ?? 'banking';
  const deadline = performance.now() + options.timeoutMs;
  let head = -1;
  let since = performance.now();
  while (performance.now() < deadline) {
    const overview = await api<Overview>(gatewayUrl, 'GET', '/api/admin/projections', { token: admin }).catch(() => undefined);
    const stats = overview?.contexts.find((c) => c.name === context);
    if (stats) {
      if (stats.feedHead !== head) [head, since] = [stats.feedHead, performance.now()];
      const atHead = stats.projections.every((p) => p.lag === 0 && p.state !== 'failed');
      if (atHead && (head > 0 || !options.seeded) && performance.now() - since >= (options.stableMs ?? 2_000)) return true;
    }
    await sleep(500);
  }
  return false;
}

/** Balances per account as the event store has them (each account's history replayed). */
export async function storeBalances(gatewayUrl: string, token: string, accounts: AccountRef[]): Promise<Map<string, number>> {
  const customers = [...new Set(accounts.map((a) => a.customer))];
  const answers = await Promise.all(
    customers.map(async (customer) => ({
      customer,
      answer: await api<{ accounts: { bank: string; balanceCents: number }[] }>(gatewayUrl, 'GET', `/api/banking/customers/${customer}/balance`, { token }),
    })),
  );
  return new Map(answers.flatMap(({ customer, answer }) => answer.accounts.map((a) => [`${customer}/${a.bank}`, a.balanceCents] as const)));
}

/** Balances per account as the balances view shows them. */
async function viewBalances(gatewayUrl: string, token: string, accounts: AccountRef[]): Promise<Map<string, number>> {
  const customers = [...new Set(accounts.map((a) => a.customer))];
  const pages = await Promise.all(
    customers.map((customer) => api<{ items: { customer: string; bank: string; balanceCents: number }[] }>(gatewayUrl, 'GET', `/api/banking/balances?customer=${customer}&limit=100`, { token })),
  );
  return new Map(pages.flatMap((page) => page.items.map((row) => [`${row.customer}/${row.bank}`, row.balanceCents] as const)));
}

function compare(ledger: Ledger, balances: Map<string, number>, where: Mismatch['where'], skip: Set<string>): Mismatch[] {
  return ledger.accounts
    .filter((a) => !skip.has(accountName(a)))
    .map((a) => ({ account: accountName(a), where, expected: ledger.expected(a), got: balances.get(accountName(a)) ?? 0 }))
    .filter((m) => m.expected !== m.got);
}

/** Reads the view until it matches the ledger or `patienceMs` passes (a view trails its feed a little). */
async function viewMismatches(gatewayUrl: string, token: string, ledger: Ledger, where: Mismatch['where'], skip: Set<string>, patienceMs = 15_000): Promise<Mismatch[]> {
  const deadline = performance.now() + patienceMs;
  for (;;) {
    const mismatches = compare(ledger, await viewBalances(gatewayUrl, token, ledger.accounts), where, skip);
    if (mismatches.length === 0 || performance.now() > deadline) return mismatches;
    await sleep(1_000);
  }
}

/** Sends every unanswered write again with its key until the gateway says what became of it. */
async function resendUnanswered(gatewayUrl: string, ledger: Ledger): Promise<number> {
  const gateway = new Gateway(gatewayUrl, new Tally(), 8);
  const resent = ledger.pending().length;
  try {
    for (let round = 0; round < 5 && ledger.pending().length > 0; round++) {
      if (round > 0) await sleep(1_000);
      for (const write of ledger.pending()) book(ledger, write, await sendMoneyWrite(gateway, write));
    }
  } finally {
    await gateway.close();
  }
  return resent;
}

async function rebuildBalances(gatewayUrl: string, admin: string): Promise<Settlement['rebuild']> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    await api(gatewayUrl, 'POST', '/api/admin/rebuilds', { token: admin, body: { context: 'banking', projection: 'balances' } });
    const deadline = performance.now() + 180_000;
    while (performance.now() < deadline) {
      await sleep(500);
      const record = await api<{ state: string; done?: number; error?: string }>(gatewayUrl, 'GET', '/api/admin/rebuilds/banking/balances', { token: admin });
      if (['done', 'failed', 'cancelled'].includes(record.state)) {
        return { state: record.state, ms: elapsed(), ...(record.done !== undefined ? { events: record.done } : {}), ...(record.error ? { error: record.error } : {}) };
      }
    }
    return { state: 'not finished within 180 s', ms: elapsed() };
  } catch (error) {
    return { state: 'not started', ms: elapsed(), error: (error as Error).message };
  }
}

export async function settle(gatewayUrl: string, callers: Callers, ledger: Ledger): Promise<Settlement> {
  const resent = await resendUnanswered(gatewayUrl, ledger);
  const unresolved = new Set(ledger.pending().map((w) => accountName(w.account)));
  const started = performance.now();
  const caughtUp = await waitForQuiet(gatewayUrl, callers.admin, { timeoutMs: 120_000 });
  const caughtUpMs = Math.round(performance.now() - started);
  const mismatches = [
    ...compare(ledger, await storeBalances(gatewayUrl, callers.admin, ledger.accounts), 'store', unresolved),
    ...(await viewMismatches(gatewayUrl, callers.admin, ledger, 'view', unresolved)),
  ];
  const rebuild = await rebuildBalances(gatewayUrl, callers.admin);
  if (rebuild.state === 'done') mismatches.push(...(await viewMismatches(gatewayUrl, callers.admin, ledger, 'rebuilt view', unresolved)));
  return { resent, unresolved: ledger.pending().length, caughtUp, caughtUpMs, mismatches, rebuild };
}
