import { describe, expect, it } from 'vitest';
import { formatBehind, formatDuration, formatRate, rebuildPercent, workerName } from './format.ts';
import type { Rebuild } from './types.ts';

const rebuild = (fields: Partial<Rebuild>): Rebuild => ({
	context: 'banking',
	id: 'r1',
	projection: 'balances',
	state: 'running',
	requestedBy: 'admin',
	requestedAt: '2025-01-01T00:00:00Z',
	...fields,
});

describe('admin figures', () => {
	it('names a worker process by host and pid, and anything else as it is', () => {
		expect(workerName('vm-3:4242:a1b2c3')).toBe('vm-3 · pid 4242');
		expect(workerName('single-process')).toBe('single-process');
	});

	it('shows durations in the largest two units', () => {
		expect(formatDuration(7)).toBe('7 s');
		expect(formatDuration(185)).toBe('3 min 05 s');
		expect(formatDuration(3720)).toBe('1 h 02 min');
		expect(formatDuration(undefined)).toBe('–');
	});

	it('rounds rates above ten and keeps a decimal below', () => {
		expect(formatRate(1234.4)).toBe('1,234/s');
		expect(formatRate(1.25)).toBe('1.3/s');
		expect(formatRate(0)).toBe('0/s');
	});

	it('never shows 100 % before the swap, and always after it', () => {
		expect(rebuildPercent(rebuild({ done: 999, total: 1000 }))).toBe(99);
		expect(rebuildPercent(rebuild({ done: 1000, total: 1000 }))).toBe(99);
		expect(rebuildPercent(rebuild({ state: 'done', done: 10, total: 1000 }))).toBe(100);
		expect(rebuildPercent(rebuild({ state: 'requested' }))).toBe(0);
	});
});

describe('how far behind', () => {
	it('says events and seconds behind, and caught up at 0', () => {
		expect(formatBehind(0, 0)).toBe('caught up');
		expect(formatBehind(1, 0.25)).toBe('1 event / 0.3 s behind');
		expect(formatBehind(1200, 4.2)).toBe('1,200 events / 4.2 s behind');
		expect(formatBehind(5, 95)).toBe('5 events / 1 min 35 s behind');
	});
});
