/**
 * Follows the portal's /live stream (the gateway's view changes) for some
 * contexts, like the counter page's `openLive`, with two differences a report
 * page needs: a filter on the change (which projection, whether any event was
 * applied), and a floor on how often the page reloads its data while orders
 * stream in.
 */
import { followStream, type LiveState } from '#lib/live-stream.ts';

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

export function followViews(options: FollowOptions): () => void {
	const everyMs = options.everyMs ?? 1000;
	const filter = options.filter ?? ((change) => change.eventIds.length > 0);
	let timer: ReturnType<typeof setTimeout> | undefined;
	let running = false;
	let due = false;
	let lastRun = 0;
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

	const stop = followStream(`/live?contexts=${encodeURIComponent(options.contexts)}`, {
		onState: options.onState,
		// Anything that changed while we were away.
		onOpen: (reopened) => {
			if (reopened) schedule();
		},
		events: {
			view: (event) => {
				try {
					if (filter(JSON.parse(event.data) as ViewChange)) schedule();
				} catch {
					schedule();
				}
			},
		},
	});

	return () => {
		stopped = true;
		clearTimeout(timer);
		stop();
	};
}
