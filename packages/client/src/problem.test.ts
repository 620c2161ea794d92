import { describe, expect, it } from 'vitest';
import { ProblemError, toFieldErrors, toProblem } from './problem.ts';

describe('toProblem', () => {
  it('keeps a well-formed problem as it is', () => {
    const body = {
      type: 'https://eventloom.dev/problems/validation',
      title: 'Invalid command',
      status: 400,
      detail: 'by must be between 1 and 1000',
      errors: { by: ['Must be at most 1000'] },
    };
    expect(toProblem(body, 400)).toEqual(body);
  });

  it('fills type, title and status from the response when the body is not a problem', () => {
    expect(toProblem('Bad Gateway', 502, 'Bad Gateway')).toEqual({
      type: 'about:blank',
      title: 'Bad Gateway',
      status: 502,
    });
  });

  it('leaves out an empty errors member', () => {
    expect(toProblem({ title: 'x', status: 400, errors: {} }, 400)).not.toHaveProperty('errors');
  });
});

describe('toFieldErrors', () => {
  it('maps each field to its messages', () => {
    expect(toFieldErrors({ by: ['Must be an integer', 'Must be at least 1'] })).toEqual({
      by: ['Must be an integer', 'Must be at least 1'],
    });
  });

  it('accepts a single message per field', () => {
    expect(toFieldErrors({ by: 'Required' })).toEqual({ by: ['Required'] });
  });

  it('drops values that are not messages', () => {
    expect(toFieldErrors({ by: [{ code: 'too_big' }, ''], id: null, name: ['ok'] })).toEqual({
      name: ['ok'],
    });
  });

  it('returns no errors for anything that is not an object', () => {
    expect(toFieldErrors(undefined)).toEqual({});
    expect(toFieldErrors(['by'])).toEqual({});
  });
});

describe('ProblemError.of', () => {
  it('reads a problem response with its fields and the code at the end of its type', async () => {
    const response = Response.json(
      { type: 'https://eventloom.dev/problems/insufficient-funds', title: 'Refused', status: 422, detail: 'Balance 10, asked 11', errors: { amountCents: ['above the balance'] } },
      { status: 422, headers: { 'content-type': 'application/problem+json' } },
    );
    const error = await ProblemError.of(response);
    expect(error).toMatchObject({ status: 422, title: 'Refused', detail: 'Balance 10, asked 11', code: 'insufficient-funds', errors: { amountCents: ['above the balance'] }, message: 'Balance 10, asked 11' });
  });

  it('turns a body that is not JSON into a problem of the status, with the text as detail', async () => {
    const error = await ProblemError.of(new Response('upstream timed out', { status: 504, statusText: 'Gateway Timeout' }));
    expect(error).toMatchObject({ status: 504, type: 'about:blank', title: 'Gateway Timeout', detail: 'upstream timed out', errors: {} });
  });
});
