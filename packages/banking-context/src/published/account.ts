/**
 * What banking promises other systems about accounts (seed 003): contract types of their
 * own, apart from the internal events in ../account/events.ts, with the mapping from each.
 * An internal event may change (a field renamed, split, a v2 with an upcaster); only its
 * mapping here changes with it, and consumers keep reading these types and shapes.
 * Changing a contract type itself is a new version: `pnpm schema-check` guards it.
 */
import { defineEvent, publish, type EventEnvelope } from '@eventloom/core';
import { z } from 'zod';
import { AccountOpened as AccountOpenedEvent, Deposited as DepositedEvent } from '../account/events.ts';
import { bankId } from '../banks.ts';

export const AccountOpened = defineEvent('AccountOpened', {
  schema: z.object({ customer: z.string(), bank: bankId }),
});

export const Deposited = defineEvent('Deposited', {
  schema: z.object({
    customer: z.string(),
    bank: bankId,
    amountCents: z.number().int().positive(),
    balanceAfterCents: z.number().int(),
    memo: z.string().optional(),
    transferId: z.string().optional(),
    requestedBy: z.string().optional(),
  }),
});

export type AccountOpenedData = z.infer<typeof AccountOpened.schema>;
export type DepositedData = z.infer<typeof Deposited.schema>;

/** Money movements are published thin: a consumer fetches the transaction with a key scoped to banking. */
export const transactionLink = (_data: unknown, _stream: string, event: EventEnvelope) => `/events/${event.id}`;

export const accountOpenedContract = publish(AccountOpened, {
  from: AccountOpenedEvent,
  map: ({ customer, bank }) => ({ customer, bank }),
  style: 'state',
  link: (data) => `/customers/${encodeURIComponent(data.customer)}`,
  description: 'A customer has an account at a bank from now on.',
});

export const depositedContract = publish(Deposited, {
  from: DepositedEvent,
  map: ({ customer, bank, amountCents, balanceAfterCents, memo, transferId, requestedBy }) => ({
    customer,
    bank,
    amountCents,
    balanceAfterCents,
    ...(memo !== undefined ? { memo } : {}),
    ...(transferId !== undefined ? { transferId } : {}),
    ...(requestedBy !== undefined ? { requestedBy } : {}),
  }),
  style: 'notification',
  link: transactionLink,
  description: 'Money went in; the link serves the transaction (amount, balance after).',
});
