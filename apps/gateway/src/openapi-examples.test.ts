import { describe, expect, it } from 'vitest';
import { exampleOf } from './openapi-examples.ts';

describe('a body example made from its schema', () => {
  it("takes the fields' own examples, then defaults and enums, and required fields within their bounds", () => {
    const schemas = { Bank: { type: 'string', enum: ['republic', 'gringotts'] } };
    const body = {
      type: 'object',
      required: ['customer', 'bank', 'amountCents', 'at', 'tags'],
      properties: {
        customer: { type: 'string', pattern: '^[A-Z][0-9]{3,}$', example: 'U1001' },
        bank: { $ref: '#/components/schemas/Bank' },
        amountCents: { type: 'integer', exclusiveMinimum: 0, maximum: 100 },
        at: { type: 'string', format: 'date-time' },
        tags: { type: 'array', items: { type: 'string', minLength: 12 }, minItems: 2 },
        memo: { type: 'string', example: 'March salary' },
        note: { type: 'string' },
      },
    };
    expect(exampleOf(body, schemas)).toEqual({
      customer: 'U1001',
      bank: 'republic',
      amountCents: 1,
      at: '2026-03-01T14:00:00.000Z',
      tags: ['examplexxxxx', 'examplexxxxx'],
      memo: 'March salary',
    });
  });

  it('fits a pattern with one of its candidates, and makes none when no candidate fits a required field', () => {
    expect(exampleOf({ type: 'string', pattern: '^[0-9+()\\-. x]{3,30}$' }, {})).toBe('+1 555 0100');
    expect(exampleOf({ type: 'object', required: ['code'], properties: { code: { type: 'string', pattern: '^ZZ[0-9]{9}$' } } }, {})).toBeUndefined();
    // An optional field that fits nothing is left out.
    expect(exampleOf({ type: 'object', properties: { code: { type: 'string', pattern: '^ZZ$', example: 'ZZ' }, other: { type: 'string', pattern: '^Q$', examples: [] } } }, {})).toEqual({ code: 'ZZ' });
  });

  it('takes the first option of a choice that is not null', () => {
    expect(exampleOf({ anyOf: [{ type: 'null' }, { type: 'boolean' }] }, {})).toBe(true);
    expect(exampleOf({ type: ['null', 'integer'], minimum: 5, multipleOf: 10 }, {})).toBe(10);
  });
});
