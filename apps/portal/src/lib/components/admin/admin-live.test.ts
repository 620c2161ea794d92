import { describe, expect, it } from 'vitest';
import { withRebuild } from './admin-live.ts';
import type { Overview, Rebuild } from './types.ts';

const rebuild = (fields: Partial<Rebuild>): Rebuild => ({
	context: 'banking',
	id: 'r1',
	projection: 'balances',
	state: 'running',
	requestedBy: 'admin',
	requestedAt: '2025-01-01T00:00:00.000Z',
	...fields,
});

const overview = (current: Rebuild | null): Overview => ({
	at: '2025-01-01T00:00:01.000Z',
	contexts: [
		{
			name: 'banking',
			title: 'Banking',
			feedHead: 10,
			relayLagMs: 0,
			projections: [
				{ context: 'banking', name: 'balances', source: 'banking', checkpoint: 10, lag: 0, eventsPerSecond: 0, state: current ? 'rebuilding' : 'live', generation: 0, deadLetters: 0, rebuild: current },
			],
		},
	],
});

const projection = (o: Overview) => o.contexts[0]!.projections[0]!;

describe('applying rebuild progress to the overview', () => {
	it('moves a running rebuild forward and marks the projection rebuilding', () => {
		const next = withRebuild(overview(null), rebuild({ done: 5, total: 10 }));
		expect(projection(next)).toMatchObject({ state: 'rebuilding', rebuild: { done: 5 } });
	});

	it('ignores a message older than what the overview knows', () => {
		const before = overview(rebuild({ state: 'done', done: 10, total: 10 }));
		expect(projection(withRebuild(before, rebuild({ done: 9, total: 10 })))).toMatchObject({ rebuild: { state: 'done' } });
	});

	it('ends the rebuilding state when the rebuild is done', () => {
		const next = withRebuild(overview(rebuild({ done: 9, total: 10 })), rebuild({ state: 'done', done: 10, total: 10 }));
		expect(projection(next)).toMatchObject({ state: 'live', rebuild: { state: 'done' } });
	});
});
