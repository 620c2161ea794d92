import { defineReaction } from '@eventloom/core';

/**
 * Choreography (seed 003): when reporting publishes that a cross-bank alert is being
 * investigated and its decider asked for the receiving account to be frozen, banking
 * freezes it. No process holds this flow: reporting decides and says so, banking reacts
 * to what was said (through reporting's published contract, by event type and shape
 * only), and an event met twice freezes once (the command's key is the event's).
 * Reporting checked who may ask (the receiving bank's owner or an admin); an account
 * frozen already answers `already-frozen`, which is fine.
 */
export const freezeOnAlert = defineReaction({
  name: 'freezeonalert',
  source: 'reporting',
  events: ['AlertDecided'],
  react(entry) {
    const { alertId, note, freeze } = entry.data as { alertId: string; note: string; freeze?: { customer: string; bank: string } };
    if (!freeze) return [];
    const memo = `cross-bank alert ${alertId}: ${note}`;
    return [{ aggregate: 'account', command: 'freeze', input: { customer: freeze.customer, bank: freeze.bank, memo: memo.length > 200 ? `${memo.slice(0, 199)}…` : memo } }];
  },
});
