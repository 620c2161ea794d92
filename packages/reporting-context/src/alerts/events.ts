import { defineEvent } from '@eventloom/core';
import { z } from 'zod';

export const decisions = ['investigated', 'dismissed'] as const;
export type Decision = (typeof decisions)[number];

export const AlertDecided = defineEvent('AlertDecided', {
  schema: z.object({
    alertId: z.string(),
    decision: z.enum(decisions),
    note: z.string(),
    /** Set when the decider asked for the receiving account to be frozen while it is investigated (banking reacts). */
    freeze: z.object({ customer: z.string(), bank: z.string() }).optional(),
  }),
  description:
    'An owner or admin looked at a cross-bank alert and marked it investigated or dismissed, with a note; `freeze` names the receiving account the decider asked to freeze while it is investigated.',
});

export type AlertDecidedData = z.infer<typeof AlertDecided.schema>;
