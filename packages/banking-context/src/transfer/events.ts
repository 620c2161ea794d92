import { defineEvent } from '@eventloom/core';
import { z } from 'zod';
import { bankId } from '../banks.ts';

/**
 * A transfer's lifecycle as other systems may rely on it (published in banking's
 * contracts, with a link to the transfer): the process stores each with the decision
 * that reached it, once. Its inner workings (steps, answers, timers) stay internal.
 */
const account = z.object({ customer: z.string(), bank: bankId });
const transfer = { transferId: z.string(), from: account, to: account, amountCents: z.number().int().positive() };

export const TransferStarted = defineEvent('TransferStarted', {
  schema: z.object({ ...transfer, requestedBy: z.string() }),
  description: "An owner started moving money from an account at their bank to an account at another bank.",
});

export const TransferCompleted = defineEvent('TransferCompleted', {
  schema: z.object(transfer),
  description: 'The money left the first account and reached the second.',
});

export const TransferCompensated = defineEvent('TransferCompensated', {
  schema: z.object({ ...transfer, reason: z.string() }),
  description: 'The receiving bank refused the deposit or did not take it in time (`reason`): the money went back to the first account.',
});

export const TransferRejected = defineEvent('TransferRejected', {
  schema: z.object({ ...transfer, reason: z.string() }),
  description: 'The first bank refused the withdrawal (`reason`: a frozen account, too little money): nothing moved.',
});

export const TransferNeedsAttention = defineEvent('TransferNeedsAttention', {
  schema: z.object({ ...transfer, reason: z.string() }),
  description: 'The transfer stopped where a person must look (a refused refund, an answer it did not expect): the money is withdrawn and not yet back.',
});

export const transferEvents = [TransferStarted, TransferCompleted, TransferCompensated, TransferRejected, TransferNeedsAttention];
