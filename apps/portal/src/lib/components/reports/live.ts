/**
 * Follows the portal's /live stream (the gateway's view changes) for some
 * contexts, like the counter page's `openLive`, with two differences a report
 * page needs: a filter on the change (which projection, whether any event was
 * applied), and a floor on how often the page reloads its data while orders
 * stream in. EventSource reconnects by itself; when the server refuses the
 * stream (signed out, gateway down) it stays closed, so we retry after a pause.
 */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** What the gateway sends on each `view` event (core's ViewChange). */
export interface ViewChange {
	context: string;
	projection: string;
	seq: number;
	eventIds: string[];
}

export interface FollowOptions {
	contexts: string;
	/** Which changes matter (default: any that applied an event). */
	filter?: (change: ViewChange) => boolean;
	onState: (state: LiveState) => void;
	/** Reload the page's data; called at most once per `everyMs`, and after each reconnect. */
	onChange: () => Promise<unknown> | void;
	everyMs?: number;
}

const retryAfterMs = 5000;

export function followViews(options: FollowOptions): () => void {
	const everyMs = options.everyMs ?? 1000;
	const filter = options.filter ?? ((change) => change.eventIds.length > 0);
	let source: EventSource | null = null;
	let retry: ReturnType<typeof setTimeout> | undefined;
	let timer: ReturnType<typeof setTimeout> | undefined;
	let running = false;
	let due = false;
	let lastRun = 0;
	let opened = false;
	let stopped = false;

	// At most one reload at a time and one per `everyMs`; changes meanwhile ask for one more.
	const schedule = () => {
		due = true;
		if (running || timer || stopped) return;
		timer = setTimeout(run, Math.max(0, lastRun + everyMs - Date.now()));
	};
	const run = async () => {
		timer = undefined;
		if (!due || stopped) return;
		due = false;
		running = true;
		lastRun = Date.now();
		try {
			await options.onChange();
		} finally {
			running = false;
			if (due) schedule();
		}
	};

	const connect = () => {
		options.onState(opened ? 'reconnecting' : 'connecting');
		source = new EventSource(`/live?contexts=${encodeURIComponent(options.contexts)}`);
		source.addEventListener('open', () => {
			options.onState('live');
			// Anything that changed while we were away.
			if (opened) schedule();
			opened = true;
		});
		source.addEventListener('view', (event) => {
			try {
				if (filter(JSON.parse((event as MessageEvent<string>).data) as ViewChange)) schedule();
			} catch {
				schedule();
			}
		});
		source.addEventListener('error', () => {
			if (stopped || !source) return;
			if (source.readyState === EventSource.CLOSED) {
				options.onState('offline');
				source = null;
				retry = setTimeout(connect, retryAfterMs);
			} else {
				options.onState('reconnecting');
			}
		});
	};

	connect();

	return () => {
		stopped = true;
		clearTimeout(retry);
		clearTimeout(timer);
		source?.close();
		source = null;
	};
}
