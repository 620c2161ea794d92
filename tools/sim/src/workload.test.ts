import type { CommandAccepted } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { otherCallerViolation, type CommandRecord } from './workload.ts';

const event = (id: string) => ({ id }) as CommandAccepted['events'][number];
const first: CommandRecord = { op: 'o1', command: 'deposit', account: 'a1', events: 1, caller: 'owner-b', key: 'key-o1', input: {}, outcome: 'applied', commandId: 'cmd-b', eventIds: ['evt-b'] };
const other: CommandRecord = { op: 'o2', command: 'deposit', account: 'a1', events: 1, caller: 'owner-a', key: 'key-o1', input: {}, outcome: 'unknown' };

describe("another caller's equal idempotency key", () => {
  it("is a violation when answered with the first caller's command or its events", () => {
    expect(otherCallerViolation(first, other, { commandId: 'cmd-b', stream: 's', events: [event('evt-b')], duplicate: true })).toMatch(/owner-a's key key-o1 was answered with owner-b's command cmd-b/);
    expect(otherCallerViolation(first, other, { commandId: 'cmd-x', stream: 's', events: [event('evt-b')], duplicate: true })).toBeDefined();
  });

  // Seed 75285744 (soak, 2026-12-07): the other caller's first attempt was applied, its
  // answer lost; its retry was rightly answered with that attempt, and the check took any
  // duplicate answer for the first caller's command.
  it("is no violation when the caller's retry after a lost answer is answered with its own earlier attempt", () => {
    expect(otherCallerViolation(first, other, { commandId: 'cmd-a', stream: 's', events: [event('evt-a')], duplicate: true })).toBeUndefined();
    expect(otherCallerViolation(first, other, { commandId: 'cmd-a', stream: 's', events: [event('evt-a')], duplicate: false })).toBeUndefined();
    expect(otherCallerViolation(first, other, undefined)).toBeUndefined();
  });
});
