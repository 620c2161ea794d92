/**
 * Follows the portal's /live stream (the gateway's view changes) for some
 * contexts, so a page reloads its data when the views it shows change.
 */
import { followStream, type LiveState } from '#lib/live-stream.ts';

export interface LiveHandlers {
	onState: (state: LiveState) => void;
	/** Called once per burst of view changes, and after every (re)connect to catch up. */
	onView: () => Promise<unknown> | void;
}

export function openLive(contexts: string, handlers: LiveHandlers): () => void {
	let refreshing = false;
	let pending = false;
	let stopped = false;

	// Coalesce: while one refresh runs, further changes ask for exactly one more.
	const refresh = async () => {
		if (refreshing) {
			pending = true;
			return;
		}
		refreshing = true;
		try {
			do {
				pending = false;
				await handlers.onView();
			} while (pending && !stopped);
		} finally {
			refreshing = false;
		}
	};

	const stop = followStream(`/live?contexts=${encodeURIComponent(contexts)}`, {
		onState: handlers.onState,
		// Anything that changed while we were away.
		onOpen: (reopened) => {
			if (reopened) void refresh();
		},
		events: { view: () => void refresh() },
	});

	return () => {
		stopped = true;
		stop();
	};
}
