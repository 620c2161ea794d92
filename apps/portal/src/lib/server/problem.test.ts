import { describe, expect, it } from 'vitest';
import { problemMessage } from './problem.ts';

describe('problemMessage', () => {
	it('prefers the detail over the title', () => {
		expect(problemMessage({ type: 't', title: 'Unauthorized', status: 401, detail: 'Wrong password' })).toBe(
			'Wrong password',
		);
		expect(problemMessage({ type: 't', title: 'Unauthorized', status: 401 })).toBe('Unauthorized');
	});
});
