import { bankByName, type BankId } from '@eventloom/banking-context/contracts';
import { api } from './api.ts';
import type { Account } from './stack.ts';

/** Who sends the load: signed-in local accounts and consumer keys made for the run. */
export interface Callers {
  admin: string;
  /** An owner's token per bank (the banks whose owner the accounts file has). */
  owners: Map<BankId, string>;
  /** A consumer scoped to every context. */
  consumer: string;
  /** A consumer key scoped to orders only: banking and reporting must refuse it (403). */
  ordersOnly: string;
  /** A consumer key of its own for the stream flood, so the flood meets its quota alone. */
  flood: string;
  /** The keys made for the run, revoked at the end. */
  keyIds: string[];
}

interface Issued {
  token: string;
}

interface CreatedKey {
  key: { id: string };
  secret: string;
}

export async function signInCallers(gatewayUrl: string, accounts: Account[], run: string): Promise<Callers> {
  const signIn = async (account: Account) =>
    (await api<Issued>(gatewayUrl, 'POST', '/auth/token', { body: { username: account.username, password: account.password } })).token;
  const adminAccount = accounts.find((a) => a.role === 'admin');
  if (!adminAccount) throw new Error('the accounts file has no admin account: the run needs one (consumer keys, rebuilds)');
  const admin = await signIn(adminAccount);
  const owners = new Map<BankId, string>();
  for (const account of accounts.filter((a) => a.role === 'owner')) {
    const bank = bankByName(account.bank);
    if (bank && !owners.has(bank.id)) owners.set(bank.id, await signIn(account));
  }
  const key = (name: string, contexts: string[]) => api<CreatedKey>(gatewayUrl, 'POST', '/api/consumer-keys', { token: admin, body: { name: `load ${run} ${name}`, contexts } });
  const [all, ordersOnly, flood] = await Promise.all([key('reader', ['*']), key('orders only', ['orders']), key('stream flood', ['*'])]);
  return { admin, owners, consumer: all.secret, ordersOnly: ordersOnly.secret, flood: flood.secret, keyIds: [all, ordersOnly, flood].map((k) => k.key.id) };
}

export async function revokeKeys(gatewayUrl: string, callers: Callers): Promise<void> {
  await Promise.all(callers.keyIds.map((id) => api(gatewayUrl, 'DELETE', `/api/consumer-keys/${id}`, { token: callers.admin }).catch(() => undefined)));
}
