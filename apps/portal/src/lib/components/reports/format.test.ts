import { describe, expect, it } from 'vitest';
import { durationLabel, formatCents, hourLabel, niceTicks } from './format.ts';

describe('report formats', () => {
	it('shows cents as dollars', () => {
		expect(formatCents(123456)).toBe('$1,234.56');
		expect(formatCents(5)).toBe('$0.05');
		expect(formatCents(-250)).toBe('−$2.50');
	});

	it('labels hours and durations', () => {
		expect(hourLabel('2026-03-01T14:00:00.000Z', 'UTC')).toBe('14:00');
		expect(durationLabel(42)).toBe('42 s');
		expect(durationLabel(245)).toBe('4 min 5 s');
		expect(durationLabel(3900)).toBe('1 h 5 min');
	});

	it('picks round axis steps that reach the maximum', () => {
		expect(niceTicks(0)).toEqual([0, 1]);
		expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
		expect(niceTicks(100)).toEqual([0, 50, 100]);
		expect(niceTicks(130)).toEqual([0, 50, 100, 150]);
	});
});
