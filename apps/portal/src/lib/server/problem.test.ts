import { describe, expect, it } from 'vitest';
import { problemMessage, toFieldErrors, toProblem } from './problem.ts';

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

describe('problemMessage', () => {
	it('prefers the detail over the title', () => {
		expect(problemMessage({ type: 't', title: 'Unauthorized', status: 401, detail: 'Wrong password' })).toBe(
			'Wrong password',
		);
		expect(problemMessage({ type: 't', title: 'Unauthorized', status: 401 })).toBe('Unauthorized');
	});
});
