/**
 * Follows one of the portal's server-sent event streams (/live, /admin/live) and
 * says how the connection stands. EventSource reconnects by itself after a
 * dropped connection; when the server refuses the stream outright (signed out,
 * gateway down) it stays closed, so we open a new one after a pause.
 */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface StreamHandlers {
	onState: (state: LiveState) => void;
	/** Each time the stream opens; `reopened` after the first, when changes may have been missed. */
	onOpen?: (reopened: boolean) => void;
	/** A listener per event name the stream sends. */
	events: Record<string, (event: MessageEvent<string>) => void>;
}

const retryAfterMs = 5000;

/** Opens the stream at `url`; the returned function closes it for good. */
export function followStream(url: string, handlers: StreamHandlers): () => void {
	let source: EventSource | null = null;
	let retry: ReturnType<typeof setTimeout> | undefined;
	let opened = false;
	let stopped = false;

	const connect = () => {
		handlers.onState(opened ? 'reconnecting' : 'connecting');
		source = new EventSource(url);
		source.addEventListener('open', () => {
			const reopened = opened;
			opened = true;
			handlers.onState('live');
			handlers.onOpen?.(reopened);
		});
		for (const [name, listener] of Object.entries(handlers.events)) {
			source.addEventListener(name, (event) => listener(event as MessageEvent<string>));
		}
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
