import { describe, expect, it } from 'vitest';
import { mergedOverview, withRebuild } from './admin-live.ts';
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
				{ context: 'banking', name: 'balances', source: 'banking', checkpoint: 10, lag: 0, lagSeconds: 0, stalled: false, eventsPerSecond: 0, state: current ? 'rebuilding' : 'live', generation: 0, deadLetters: 0, rebuild: current },
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

	// The flaky admin e2e: the bar said done, then a snapshot read before the end arrived and
	// took the rebuild back to running at 0 %.
	it('keeps a finished rebuild when an older snapshot arrives after it', () => {
		const shown = overview(rebuild({ state: 'done', done: 10, total: 10 }));
		const stale = overview(rebuild({ state: 'requested' }));
		expect(projection(mergedOverview(shown, stale))).toMatchObject({ state: 'live', rebuild: { state: 'done', done: 10 } });
	});

	it('takes everything else from the new snapshot, and a newer rebuild from it', () => {
		const shown = overview(rebuild({ done: 3, total: 10 }));
		const next = { ...overview(rebuild({ done: 7, total: 10 })), at: '2025-01-01T00:00:09.000Z' };
		const merged = mergedOverview(shown, next);
		expect(merged.at).toBe('2025-01-01T00:00:09.000Z');
		expect(projection(merged).rebuild).toMatchObject({ done: 7 });
		const another = overview(rebuild({ id: 'r2', state: 'requested', requestedAt: '2025-01-01T00:01:00.000Z' }));
		expect(projection(mergedOverview(overview(rebuild({ state: 'done', done: 10, total: 10 })), another)).rebuild).toMatchObject({ id: 'r2' });
	});
});
