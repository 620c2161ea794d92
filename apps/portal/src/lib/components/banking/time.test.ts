import { describe, expect, it } from 'vitest';
import { formatInstant, fromLocalInput, instantFromParam, toLocalInput } from './time.ts';

describe('local inputs', () => {
	it('round-trips an instant through a datetime-local value', () => {
		const iso = '2026-11-23T15:48:39.000Z';
		expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
	});

	it('refuses what a datetime-local input never produces', () => {
		expect(fromLocalInput('yesterday')).toBeNull();
		expect(fromLocalInput('2026-11-23T15:48:39Z')).toBeNull();
		expect(toLocalInput('not a date')).toBe('');
	});
});

describe('instantFromParam', () => {
	it('normalises an ISO instant with a zone', () => {
		expect(instantFromParam('2026-11-23T11:48:39-04:00')).toBe('2026-11-23T15:48:39.000Z');
		expect(instantFromParam('2026-11-23T15:48:39.5Z')).toBe('2026-11-23T15:48:39.500Z');
	});

	it('reads a bare datetime-local value as UTC', () => {
		expect(instantFromParam('2026-11-23T15:48')).toBe('2026-11-23T15:48:00.000Z');
	});

	it('returns null for nothing or nonsense', () => {
		expect(instantFromParam(null)).toBeNull();
		expect(instantFromParam('')).toBeNull();
		expect(instantFromParam("1' or 1=1 --")).toBeNull();
		expect(instantFromParam('2026-13-45T99:99Z')).toBeNull();
	});
});

describe('formatInstant', () => {
	const now = new Date('2026-11-23T20:00:00Z');

	it('shows only the time for today in the short style', () => {
		expect(formatInstant('2026-11-23T15:48:39Z', 'short', 'UTC', now)).toBe('3:48:39 PM');
	});

	it('shows the date for another day', () => {
		expect(formatInstant('2026-11-20T15:48:39Z', 'short', 'UTC', now)).toBe('Nov 20, 3:48 PM');
		expect(formatInstant('2026-11-20T15:48:39Z', 'full', 'UTC', now)).toBe('Nov 20, 2026, 3:48:39 PM');
	});
});
