/**
 * Follows the portal's /admin/live stream (the gateway's admin SSE, proxied with
 * the session cookie): the projections overview every second and each rebuild
 * progress message as it comes. EventSource reconnects by itself after a drop;
 * when the server refuses outright it stays closed, so we try again after a pause.
 */
import type { Overview, Rebuild } from './types.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface AdminLiveHandlers {
	onState: (state: LiveState) => void;
	onProjections: (overview: Overview) => void;
	onRebuild: (rebuild: Rebuild) => void;
}

const retryAfterMs = 5000;

export function followAdmin(handlers: AdminLiveHandlers, url = '/admin/live'): () => void {
	let source: EventSource | null = null;
	let retry: ReturnType<typeof setTimeout> | undefined;
	let opened = false;
	let stopped = false;

	const connect = () => {
		handlers.onState(opened ? 'reconnecting' : 'connecting');
		source = new EventSource(url);
		source.addEventListener('open', () => {
			opened = true;
			handlers.onState('live');
		});
		source.addEventListener('projections', (event) => handlers.onProjections(JSON.parse(event.data) as Overview));
		source.addEventListener('rebuild', (event) => handlers.onRebuild(JSON.parse(event.data) as Rebuild));
		source.addEventListener('error', () => {
			if (stopped || !source) return;
			if (source.readyState === EventSource.CLOSED) {
				handlers.onState('offline');
				source = null;
				retry = setTimeout(connect, retryAfterMs);
			} else {
				handlers.onState('reconnecting');
			}
		});
	};

	connect();

	return () => {
		stopped = true;
		clearTimeout(retry);
		source?.close();
		source = null;
	};
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
