/**
 * Instants travel as ISO strings (UTC); people see and type local wall-clock
 * time. The server renders UTC, the browser switches to its own zone once
 * hydrated, so server and browser never disagree about the first paint.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An ISO instant as a `datetime-local` value (seconds precision) in this runtime's zone. */
export function toLocalInput(iso: string): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return '';
	return (
		`${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
		`T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
	);
}

const localInputPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;
const zonedPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A `datetime-local` value read in this runtime's zone, as an ISO instant; null when it is not one. */
export function fromLocalInput(value: string): string | null {
	if (!localInputPattern.test(value)) return null;
	const date = new Date(value);
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * A time from a URL: an ISO instant with a zone, or a bare `datetime-local`
 * value, which only a form sent without JavaScript produces and which is read
 * as UTC. Null for anything else.
 */
export function instantFromParam(value: string | null): string | null {
	if (!value) return null;
	const text = value.trim();
	const iso = zonedPattern.test(text) ? text : localInputPattern.test(text) ? `${text}Z` : null;
	if (!iso) return null;
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export type TimeStyle = 'full' | 'short';

/**
 * "Nov 23, 2026, 3:48:39 PM" (full), or for `short` only the time when it is
 * today and the date and minutes otherwise. `timeZone` undefined = this runtime's.
 */
export function formatInstant(iso: string, style: TimeStyle, timeZone?: string, now = new Date()): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return iso;
	const zone = timeZone ? { timeZone } : {};
	if (style === 'full') {
		return date.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium', ...zone });
	}
	const day = (d: Date) => d.toLocaleDateString('en-US', zone);
	return day(date) === day(now)
		? date.toLocaleTimeString('en-US', { timeStyle: 'medium', ...zone })
		: date.toLocaleString('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', ...zone });
}
