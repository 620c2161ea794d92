import { describe, expect, it } from 'vitest';
import { formatCents, parseDollars } from './money.ts';

describe('parseDollars', () => {
	it('converts dollars and cents to exact integer cents', () => {
		expect(parseDollars('12.50')).toEqual({ ok: true, cents: 1250 });
		expect(parseDollars('0.10')).toEqual({ ok: true, cents: 10 });
		expect(parseDollars('0.29')).toEqual({ ok: true, cents: 29 });
		expect(parseDollars('1.1')).toEqual({ ok: true, cents: 110 });
		expect(parseDollars('.75')).toEqual({ ok: true, cents: 75 });
		expect(parseDollars('7')).toEqual({ ok: true, cents: 700 });
	});

	it('accepts a dollar sign, grouping commas and surrounding spaces', () => {
		expect(parseDollars(' $1,234,567.89 ')).toEqual({ ok: true, cents: 123_456_789 });
		expect(parseDollars('$ 5')).toEqual({ ok: true, cents: 500 });
	});

	it('keeps the sign and zero, leaving their refusal to the gateway', () => {
		expect(parseDollars('-5.00')).toEqual({ ok: true, cents: -500 });
		expect(parseDollars('0')).toEqual({ ok: true, cents: 0 });
	});

	it('is exact where floating point is not', () => {
		// 1.005 * 100 === 100.49999999999999 and 4.35 * 100 === 434.99999999999994 in binary floating point.
		expect(parseDollars('4.35')).toEqual({ ok: true, cents: 435 });
		expect(parseDollars('90071992547409.91')).toEqual({ ok: true, cents: 9_007_199_254_740_991 });
	});

	it('refuses fractions of a cent, text and empty input with a message', () => {
		expect(parseDollars('1.005')).toEqual({ ok: false, message: expect.stringContaining('two decimals') });
		expect(parseDollars('ten')).toMatchObject({ ok: false });
		expect(parseDollars('1e3')).toMatchObject({ ok: false });
		expect(parseDollars('1,23.00')).toMatchObject({ ok: false });
		expect(parseDollars('$')).toMatchObject({ ok: false });
		expect(parseDollars('  ')).toEqual({ ok: false, message: expect.stringContaining('Enter an amount') });
	});
});

describe('formatCents', () => {
	it('shows dollars with two decimals and grouping', () => {
		expect(formatCents(0)).toBe('$0.00');
		expect(formatCents(5)).toBe('$0.05');
		expect(formatCents(123_456)).toBe('$1,234.56');
		expect(formatCents(10_000_000_000)).toBe('$100,000,000.00');
	});

	it('marks a negative amount with a minus sign', () => {
		expect(formatCents(-1250)).toBe('−$12.50');
	});
});
