/**
 * Follows the portal's /live stream for some contexts. EventSource reconnects by
 * itself after a dropped connection; when the server refuses the stream outright
 * (signed out, gateway down) it stays closed, so we try again after a pause.
 */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface LiveHandlers {
	onState: (state: LiveState) => void;
	/** Called once per burst of view changes, and after every (re)connect to catch up. */
	onView: () => Promise<unknown> | void;
}

const retryAfterMs = 5000;

export function openLive(contexts: string, handlers: LiveHandlers): () => void {
	let source: EventSource | null = null;
	let retry: ReturnType<typeof setTimeout> | undefined;
	let refreshing = false;
	let pending = false;
	let opened = false;
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

	const connect = () => {
		handlers.onState(opened ? 'reconnecting' : 'connecting');
		source = new EventSource(`/live?contexts=${encodeURIComponent(contexts)}`);
		source.addEventListener('open', () => {
			handlers.onState('live');
			// Anything that changed while we were away.
			if (opened) void refresh();
			opened = true;
		});
		source.addEventListener('view', () => void refresh());
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
