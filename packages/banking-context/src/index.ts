import { defineContext, type AppEnv, type ContextRuntime } from '@eventloom/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { accountRoutes } from './account/api.ts';
import { account } from './account/decide.ts';
import { Voided, Withdrawn, accountEvents } from './account/events.ts';
import { balanceRoutes } from './balances/api.ts';
import { balances } from './balances/projection.ts';
import { eventLogRoutes } from './event-log/api.ts';
import { ledger } from './event-log/projection.ts';
import { freezeOnAlert } from './alert-reaction/freeze-on-alert.ts';
import { accountOpenedContract, depositedContract, transactionLink } from './published/account.ts';
import { seedDemo } from './seed.ts';
import { transferRoutes } from './transfer/api.ts';
import { transferProcess } from './transfer/process.ts';
import { transfers } from './transfer/projection.ts';
import { TransferCompensated, TransferCompleted, TransferNeedsAttention, TransferRejected, TransferStarted, transferEvents } from './transfer/events.ts';

const transferLink = (data: unknown) => `/transfers/${encodeURIComponent((data as { transferId: string }).transferId)}`;

/** Seed 000: customers' accounts at three banks, watched and operated by the banks' owners. */
export default defineContext({
  name: 'banking',
  title: 'Banking',
  events: [...accountEvents, ...transferEvents],
  aggregates: [account],
  projections: [balances, ledger, transfers],
  // Cross-bank transfers (issue 13): POST /transfers starts one, GET /transfers/{id} follows it.
  processes: [transferProcess()],
  // Choreographed: an alert reporting decides with `freeze` freezes the receiving account here.
  reactions: [freezeOnAlert],
  contracts: {
    published: [
      // Contract types of their own (published/account.ts), mapped from the internal events.
      accountOpenedContract,
      depositedContract,
      { event: Withdrawn, style: 'notification', link: transactionLink, description: 'Money came out; the link serves the transaction (amount, balance after).' },
      { event: Voided, style: 'notification', link: transactionLink, description: 'A zero-amount registration at a bank; the link serves the transaction.' },
      // A transfer's lifecycle (issue 13): what happened, and a link to the transfer's status.
      { event: TransferStarted, style: 'notification', link: transferLink, description: 'An owner started moving money to another bank; the link follows the transfer.' },
      { event: TransferCompleted, style: 'notification', link: transferLink, description: 'The money reached the other bank.' },
      { event: TransferCompensated, style: 'notification', link: transferLink, description: 'The other bank refused or was silent (`reason`); the money went back.' },
      { event: TransferRejected, style: 'notification', link: transferLink, description: 'The first bank refused the withdrawal (`reason`); nothing moved.' },
      { event: TransferNeedsAttention, style: 'notification', link: transferLink, description: 'The transfer stopped where a person must look; the money is withdrawn and not yet back.' },
    ],
    consumed: [{ from: 'reporting', events: ['AlertDecided'] }],
  },
  routes(app: OpenAPIHono<AppEnv>, runtime: ContextRuntime) {
    accountRoutes(app, runtime);
    balanceRoutes(app, runtime);
    eventLogRoutes(app, runtime);
    transferRoutes(app, runtime);
  },
  seed: seedDemo,
});

export { account, balances, ledger, seedDemo, transferProcess };
export { banks, bankById, bankByName, type Bank, type BankId } from './banks.ts';
export { accountStream, type AccountState } from './account/decide.ts';
