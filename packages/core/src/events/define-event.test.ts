import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from './define-event.ts';

const AddedV2 = defineEvent('Added', {
  version: 2,
  schema: z.object({ amountCents: z.number().int(), memo: z.string() }),
  upcasters: { 1: (v1) => ({ amountCents: Math.round((v1 as { amount: number }).amount * 100), memo: '' }) },
});

describe('defineEvent', () => {
  it('writes new events at the current version', () => {
    expect(AddedV2({ amountCents: 5, memo: 'x' })).toEqual({ type: 'Added', schemaVersion: 2, data: { amountCents: 5, memo: 'x' } });
  });

  it('reads a stored version 1 through its upcaster', () => {
    expect(AddedV2.read(1, { amount: 1.25 })).toEqual({ amountCents: 125, memo: '' });
  });

  it('refuses data newer than the code knows', () => {
    expect(() => AddedV2.read(3, {})).toThrow(/newer/);
  });

  it('requires an upcaster for every older version', () => {
    expect(() => defineEvent('Broken', { version: 2, schema: z.object({}) })).toThrow(/upcaster from version 1/);
  });

  it('validates data when an event is made', () => {
    expect(() => AddedV2({ amountCents: 1.5, memo: 'x' } as never)).toThrow();
  });
});
