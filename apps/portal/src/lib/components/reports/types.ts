/** What the reporting and orders APIs answer, as the report pages use it. */

export interface Window {
	orders: number;
	revenueCents: number;
	quantity: number;
}

export interface Hour extends Window {
	/** Start of the hour, ISO (UTC). */
	hour: string;
}

export interface Today extends Window {
	day: string;
	thisHour: Hour;
	asOf: string;
}

export interface TopMovie {
	rank: number;
	movieId: number;
	title: string;
	quantity: number;
	revenueCents: number;
}

export interface PopularCategory {
	rank: number;
	categoryId: number;
	name: string;
	deleted: boolean;
	quantity: number;
	revenueCents: number;
	orders: number;
}

export interface Movement {
	eventId: string;
	bank: string;
	bankName: string;
	amountCents: number;
	at: string;
}

export type AlertState = 'open' | 'investigated' | 'dismissed';

export interface Alert {
	id: string;
	customer: string;
	state: AlertState;
	withdrawal: Movement;
	deposit: Movement;
	gapSeconds: number;
	differenceCents: number;
	decision: { decision: 'investigated' | 'dismissed'; note: string; by: string; at: string } | null;
}

export interface Category {
	id: number;
	name: string;
}

export interface CacheStats {
	levels: 'memory+redis' | 'memory';
	hits: { l1: number; l2: number };
	misses: number;
	staleHits: number;
	invalidations: number;
	lastInvalidation: { at: string; keys: string[]; cause: 'api' | 'table-change' | 'view-update'; source: 'local' | 'bus' } | null;
	watcher: { intervalMs: number; polls: number; lastPollAt: string | null; rows: number; error: string | null };
}

/** One bar of a BarList. */
export interface Bar {
	key: string | number;
	label: string;
	value: number;
	/** The value as people read it. */
	display: string;
	/** A second, quieter line. */
	detail?: string;
	muted?: boolean;
}
