import { defineAggregate, problems, type EventEnvelope } from '@eventloom/core';
import { z } from 'zod';
import { AlertDecided, decisions, type AlertDecidedData } from './events.ts';

/** Alert ids are the ids of the deposits that raised them (UUIDs). */
// No `i` flag: the OpenAPI document carries the bare source, so the case lives in the classes.
export const alertId = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'an alert id is a UUID');

export const decideInput = z
  .object({
    alertId,
    decision: z.enum(decisions, { error: 'decision is investigated or dismissed' }),
    note: z
      .string({ error: 'note is required' })
      .trim()
      .min(1, 'say what you found or why it is dismissed')
      .max(1000, 'note may be at most 1000 characters'),
    /** The receiving account to freeze while the alert is investigated (the API fills it from the alert). */
    freeze: z.object({ customer: z.string().min(1).max(64), bank: z.string().min(1).max(64) }).strict().optional(),
  })
  .strict()
  .refine((input) => !input.freeze || input.decision === 'investigated', { path: ['freeze'], message: 'an account is frozen only while an alert is investigated' });
export type DecideInput = z.infer<typeof decideInput>;

export interface AlertState {
  decided?: { decision: AlertDecidedData['decision']; by: string; at: string };
}

export const alertStream = (id: string) => `alert-${id.toLowerCase()}`;

/**
 * The people's side of an alert: the watch raises alerts as a view; an owner or an
 * admin decides each one once, and the decision is the alert stream's event.
 */
export const alert = defineAggregate({
  name: 'alert',
  initialState: (): AlertState => ({}),
  evolve: (state: AlertState, event: EventEnvelope): AlertState => {
    if (event.type !== AlertDecided.type) return state;
    const { decision } = event.data as AlertDecidedData;
    return { decided: { decision, by: event.who, at: event.occurredAt } };
  },
  commands: {
    decide: {
      schema: decideInput,
      stream: (input: DecideInput) => alertStream(input.alertId),
      decide: (input: DecideInput, state: AlertState) => {
        if (state.decided) {
          throw problems.rejected(
            'alert-decided',
            `This alert was already marked ${state.decided.decision} by ${state.decided.by} at ${state.decided.at}.`,
            'decision',
          );
        }
        return [AlertDecided({ alertId: input.alertId.toLowerCase(), decision: input.decision, note: input.note, ...(input.freeze ? { freeze: input.freeze } : {}) })];
      },
    },
  },
});
