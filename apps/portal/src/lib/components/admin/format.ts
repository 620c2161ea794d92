/** Numbers on the admin page: counts, rates, durations and rebuild progress. */
import type { Rebuild } from './types.ts';

const count = new Intl.NumberFormat('en');

export const formatCount = (value: number | undefined): string => (value === undefined ? '–' : count.format(value));

/** `812/s`, `1.5/s`, `0/s`. */
export function formatRate(perSecond: number | undefined): string {
	if (perSecond === undefined || !Number.isFinite(perSecond)) return '–';
	return `${perSecond >= 10 || perSecond === 0 ? count.format(Math.round(perSecond)) : perSecond.toFixed(1)}/s`;
}

/** `12 s`, `3 min 05 s`, `1 h 02 min`; `–` when unknown. */
export function formatDuration(seconds: number | undefined): string {
	if (seconds === undefined || !Number.isFinite(seconds)) return '–';
	const s = Math.max(0, Math.round(seconds));
	if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
	if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
	return `${s} s`;
}

/** Whole percent done: 100 once done, 0 before the runner has reported. */
export function rebuildPercent(rebuild: Rebuild): number {
	if (rebuild.state === 'done') return 100;
	const total = rebuild.total ?? 0;
	if (total <= 0) return 0;
	return Math.min(99, Math.floor(((rebuild.done ?? 0) / total) * 100));
}

/** How long a finished rebuild took, from the runner's timestamps. */
export function rebuildTook(rebuild: Rebuild): number | undefined {
	if (!rebuild.startedAt || !rebuild.finishedAt) return undefined;
	return (Date.parse(rebuild.finishedAt) - Date.parse(rebuild.startedAt)) / 1000;
}

/** A worker process as people tell them apart: `host · pid 4242` from `host:4242:a1b2c3`. */
export function workerName(worker: string): string {
	const [host, pid] = worker.split(':');
	return pid === undefined ? worker : `${host} · pid ${pid}`;
}

/** How long the oldest waiting event has waited: tenths under 10 s (`0.3 s`), then as `formatDuration`. */
export const formatWait = (seconds: number): string => (seconds < 10 ? `${(Math.round(seconds * 10) / 10).toFixed(1)} s` : formatDuration(seconds));

export const formatEvents = (events: number): string => `${formatCount(events)} event${events === 1 ? '' : 's'}`;

/** How far behind a projection is: `caught up`, or `120 events / 4.2 s behind`. */
export function formatBehind(events: number, seconds: number): string {
	return events <= 0 ? 'caught up' : `${formatEvents(events)} / ${formatWait(seconds)} behind`;
}
