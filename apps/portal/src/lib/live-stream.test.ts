import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { followStream, type LiveState } from './live-stream.ts';

/** The browser's EventSource, as far as followStream uses it. */
class FakeSource extends EventTarget {
	static readonly CLOSED = 2;
	static opened: FakeSource[] = [];
	readyState = 0;
	closed = false;

	constructor(readonly url: string) {
		super();
		FakeSource.opened.push(this);
	}

	close() {
		this.closed = true;
		this.readyState = FakeSource.CLOSED;
	}

	emit(name: string, data = '') {
		this.dispatchEvent(new MessageEvent(name, { data }));
	}

	refuse() {
		this.readyState = FakeSource.CLOSED;
		this.emit('error');
	}
}

describe('following a server-sent event stream', () => {
	let states: LiveState[];
	let opens: boolean[];

	beforeEach(() => {
		vi.useFakeTimers();
		vi.stubGlobal('EventSource', FakeSource);
		FakeSource.opened = [];
		states = [];
		opens = [];
	});

	afterEach(() => {
		vi.useRealTimers();
		vi.unstubAllGlobals();
	});

	const follow = (events: Record<string, (event: MessageEvent<string>) => void> = {}) =>
		followStream('/live?contexts=banking', { onState: (state) => states.push(state), onOpen: (reopened) => opens.push(reopened), events });

	it('is live once the stream opens and passes each named event on', () => {
		const seen: string[] = [];
		follow({ view: (event) => seen.push(event.data) });
		const source = FakeSource.opened[0]!;
		source.emit('open');
		source.emit('view', '{"seq":1}');
		expect(states).toEqual(['connecting', 'live']);
		expect(opens).toEqual([false]);
		expect(seen).toEqual(['{"seq":1}']);
	});

	it('opens a new stream after a pause when the server refuses, and says it reopened', () => {
		follow();
		FakeSource.opened[0]!.emit('open');
		FakeSource.opened[0]!.refuse();
		expect(states.at(-1)).toBe('offline');
		vi.advanceTimersByTime(5000);
		expect(FakeSource.opened).toHaveLength(2);
		FakeSource.opened[1]!.emit('open');
		expect(states).toEqual(['connecting', 'live', 'offline', 'reconnecting', 'live']);
		expect(opens).toEqual([false, true]);
	});

	it('says reconnecting while the browser retries a dropped stream itself', () => {
		follow();
		FakeSource.opened[0]!.emit('open');
		FakeSource.opened[0]!.emit('error');
		expect(states.at(-1)).toBe('reconnecting');
		expect(FakeSource.opened).toHaveLength(1);
	});

	it('closes the stream when stopped', () => {
		const stop = follow();
		FakeSource.opened[0]!.emit('open');
		stop();
		expect(FakeSource.opened[0]!.closed).toBe(true);
	});

	it('opens no new stream when stopped during the pause after a refusal', () => {
		const stop = follow();
		FakeSource.opened[0]!.refuse();
		stop();
		vi.advanceTimersByTime(10_000);
		expect(FakeSource.opened).toHaveLength(1);
	});
});
