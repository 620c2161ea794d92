import { defineEvent } from '@eventloom/core';
import { z } from 'zod';

export const decisions = ['investigated', 'dismissed'] as const;
export type Decision = (typeof decisions)[number];

export const AlertDecided = defineEvent('AlertDecided', {
  schema: z.object({
    alertId: z.string(),
    decision: z.enum(decisions),
    note: z.string(),
  }),
  description: 'An owner or admin looked at a cross-bank alert and marked it investigated or dismissed, with a note.',
});

export type AlertDecidedData = z.infer<typeof AlertDecided.schema>;
