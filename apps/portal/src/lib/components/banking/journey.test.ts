import { describe, expect, it } from 'vitest';
import { formatDuration, journeySteps } from './journey.ts';
import type { EventJourney } from './types.ts';

const journey: EventJourney = {
	eventId: '0190d7a8-0000-7000-8000-000000000001',
	context: 'banking',
	type: 'Deposited',
	stream: 'account-C1-republic',
	version: 2,
	traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
	accepted: { at: '2026-12-07T12:00:00.000Z' },
	stored: { at: '2026-12-07T12:00:00.012Z' },
	placed: { state: 'placed', seq: 41, at: '2026-12-07T12:00:00.020Z' },
	projections: [
		{ projection: 'balances', runner: 'balances', generation: 0, state: 'applied', at: '2026-12-07T12:00:00.050Z' },
		{ projection: 'eventLog', runner: 'eventLog', generation: 2, state: 'applied' },
		{ projection: 'history', runner: 'history', generation: 0, state: 'pending' },
		{ projection: 'alerts', runner: 'alerts', generation: 0, state: 'parked', error: 'TypeError: no bank' },
	],
	deliveries: [
		{ subscription: 's1', kind: 'webhook', url: 'https://example.com/hook', state: 'delivered', at: '2026-12-07T12:00:01.520Z', attempts: 2, status: 204 },
		{ subscription: 's2', kind: 'webhook', url: 'https://example.org/hook', state: 'failing', attempts: 3, status: 500, error: 'HTTP 500' },
	],
};

describe('journeySteps', () => {
	it('lists the steps in the order the event travels, each timed from the step it follows', () => {
		const steps = journeySteps(journey);
		expect(steps.map((s) => s.key)).toEqual(['accepted', 'stored', 'placed', 'projection:balances', 'projection:eventLog', 'projection:history', 'projection:alerts', 'webhook:s1', 'webhook:s2']);
		expect(steps[1]).toMatchObject({ took: 12, after: 'Accepted' });
		expect(steps[2]).toMatchObject({ took: 8, after: 'Stored', detail: 'Position 41' });
		// Projections and webhooks run side by side after the placement.
		expect(steps[3]).toMatchObject({ took: 30, after: 'Placed in the feed', tone: 'ok' });
		expect(steps[7]).toMatchObject({ took: 1500, after: 'Placed in the feed', detail: 'https://example.com/hook · 2 attempts, last answer 204' });
	});

	it('shows a pending, a parked and a failing step for what they are, with no time', () => {
		const steps = journeySteps(journey);
		expect(steps[4]).toMatchObject({ tone: 'ok', state: 'applied' });
		expect(steps[4]?.took).toBeUndefined();
		expect(steps[4]?.detail).toContain('generation 2');
		expect(steps[5]).toMatchObject({ tone: 'pending', state: 'pending' });
		expect(steps[6]).toMatchObject({ tone: 'error', state: 'parked', detail: 'Parked as a dead letter: TypeError: no bank' });
		expect(steps[8]).toMatchObject({ tone: 'error', state: 'failing' });
		expect(steps[8]?.detail).toContain('HTTP 500');
	});

	it('shows an event not yet placed as pending', () => {
		const steps = journeySteps({ ...journey, placed: { state: 'pending' }, projections: [], deliveries: [] });
		expect(steps.at(-1)).toMatchObject({ key: 'placed', tone: 'pending' });
	});
});

describe('formatDuration', () => {
	it('reads at a glance', () => {
		expect(formatDuration(12.4)).toBe('12 ms');
		expect(formatDuration(1400)).toBe('1.4 s');
		expect(formatDuration(42_000)).toBe('42 s');
		expect(formatDuration(185_000)).toBe('3 min 5 s');
		expect(formatDuration(7_440_000)).toBe('2 h 4 min');
		expect(formatDuration(-5)).toBe('0 ms');
	});
});
