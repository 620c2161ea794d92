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
							const known = projection.rebuild;
							const newer =
								!known ||
								(known.id === rebuild.id
									? rank[rebuild.state] > rank[known.state] || (rank[rebuild.state] === rank[known.state] && (rebuild.done ?? 0) >= (known.done ?? 0))
									: rebuild.requestedAt > known.requestedAt);
							if (!newer) return projection;
							const state = rank[rebuild.state] < 3 ? 'rebuilding' : projection.state === 'rebuilding' ? 'live' : projection.state;
							return { ...projection, rebuild, state };
						}),
					},
		),
	};
}
