import { describe, expect, it } from 'vitest';
import { safeRedirect } from './session.ts';

describe('safeRedirect', () => {
	it('keeps a path on this site, with its query and fragment', () => {
		expect(safeRedirect('/banking?customer=U1001#history', '/x')).toBe('/banking?customer=U1001#history');
		expect(safeRedirect('/admin/views', '/x')).toBe('/admin/views');
	});

	it.each([
		['/\t/evil.example', 'a tab a browser drops'],
		['/\n/evil.example', 'a newline'],
		['//evil.example', 'a protocol-relative URL'],
		['/\\evil.example', 'a backslash read as a slash'],
		['https://evil.example/', 'an absolute URL'],
		['javascript:alert(1)', 'a script URL'],
		['', 'nothing'],
		[`/${'a'.repeat(3000)}`, 'a very long target'],
	])('falls back for %j (%s)', (target) => {
		expect(safeRedirect(target, '/banking')).toBe('/banking');
	});

	it('falls back when there is no target', () => {
		expect(safeRedirect(null, '/banking')).toBe('/banking');
	});
});
