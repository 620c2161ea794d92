/**
 * Follows the portal's /admin/live stream (the gateway's admin SSE, proxied with
 * the session cookie): the projections overview every second and each rebuild
 * progress message as it comes.
 */
import { followStream, type LiveState } from '#lib/live-stream.ts';
import type { Overview, Rebuild } from './types.ts';

export interface AdminLiveHandlers {
	onState: (state: LiveState) => void;
	onProjections: (overview: Overview) => void;
	onRebuild: (rebuild: Rebuild) => void;
}

export function followAdmin(handlers: AdminLiveHandlers, url = '/admin/live'): () => void {
	return followStream(url, {
		onState: handlers.onState,
		events: {
			projections: (event) => handlers.onProjections(JSON.parse(event.data) as Overview),
			rebuild: (event) => handlers.onRebuild(JSON.parse(event.data) as Rebuild),
		},
	});
}

const rank: Record<Rebuild['state'], number> = { requested: 0, running: 1, 'cancel-requested': 2, done: 3, cancelled: 3, failed: 3 };

/** Whether `incoming` says more about a projection's rebuild than `known` does. */
function newerRebuild(known: Rebuild | null | undefined, incoming: Rebuild): boolean {
	if (!known) return true;
	if (known.id !== incoming.id) return incoming.requestedAt > known.requestedAt;
	return rank[incoming.state] > rank[known.state] || (rank[incoming.state] === rank[known.state] && (incoming.done ?? 0) >= (known.done ?? 0));
}

/**
 * A new overview (the stream's snapshot, or the page's data loaded again) over the one
 * shown: every figure from the new one, except a rebuild the shown one knows more about.
 * A snapshot read before a rebuild finished may arrive after its "done": it must not
 * take the bar back to 0 %.
 */
export function mergedOverview(shown: Overview, next: Overview): Overview {
	let merged = next;
	for (const context of shown.contexts) {
		for (const projection of context.projections) {
			const known = projection.rebuild;
			if (!known) continue;
			const incoming = next.contexts.find((c) => c.name === context.name)?.projections.find((p) => p.name === projection.name)?.rebuild;
			if (!incoming || newerRebuild(incoming, known)) merged = withRebuild(merged, known);
		}
	}
	return merged;
}

/** The overview with a progress message applied, unless the overview already knows better. */
export function withRebuild(overview: Overview, rebuild: Rebuild): Overview {
	return {
		...overview,
		contexts: overview.contexts.map((context) =>
			context.name !== rebuild.context
				? context
				: {
						...context,
						projections: context.projections.map((projection) => {
							if (projection.name !== rebuild.projection) return projection;
							if (!newerRebuild(projection.rebuild, rebuild)) return projection;
							const state = rank[rebuild.state] < 3 ? 'rebuilding' : projection.state === 'rebuilding' ? 'live' : projection.state;
							return { ...projection, rebuild, state };
						}),
					},
		),
	};
}
