/** The gateway's admin API (`/api/admin`) as the admin page reads it. */

export type RebuildState = 'requested' | 'running' | 'cancel-requested' | 'cancelled' | 'done' | 'failed';

export interface Rebuild {
	context: string;
	id: string;
	projection: string;
	state: RebuildState;
	requestedBy: string;
	requestedAt: string;
	generation?: number;
	done?: number;
	total?: number;
	eventsPerSecond?: number;
	etaSeconds?: number;
	startedAt?: string;
	finishedAt?: string;
	error?: string;
}

export type ProjectionState = 'live' | 'catching-up' | 'rebuilding' | 'failed' | 'stalled' | 'standby';

export interface ProjectionStatus {
	context: string;
	name: string;
	source: string;
	checkpoint: number;
	lag: number;
	/** How long the oldest entry it has not applied has waited (0 when caught up). */
	lagSeconds: number;
	/** Behind and not moving for the stall threshold: an alert, whatever its state. */
	stalled: boolean;
	eventsPerSecond: number;
	state: ProjectionState;
	generation: number;
	deadLetters: number;
	rebuild: Rebuild | null;
	/** The last error of its worker, while it keeps failing. */
	error?: string;
	/** The worker process that holds it (host:pid:id, or single-process). */
	worker?: string;
	/** A partitioned projection: each feed partition's runner (checkpoint and lag in its partition's seqs). */
	partitions?: { partition: number; checkpoint: number; lag: number; lagSeconds: number; stalled: boolean; state: 'live' | 'catching-up' | 'standby' | 'failed'; deadLetters: number; error?: string; worker?: string }[];
}

export interface ContextProjections {
	name: string;
	title: string;
	feedHead: number;
	relayLagMs: number;
	/** The worker process that holds the relay (of partition 0, when partitioned). */
	relayWorker?: string;
	/** A partitioned feed: each partition's relay (its own seqs), and the merger's holder. */
	partitions?: { partition: number; head: number; lagMs: number; worker?: string }[];
	mergerWorker?: string;
	projections: ProjectionStatus[];
}

export interface Overview {
	at: string;
	contexts: ContextProjections[];
}

export type DeadLetterState = 'parked' | 'retry-requested' | 'retried' | 'skipped' | 'superseded';

export interface DeadLetter {
	context: string;
	projection: string;
	seq: number;
	eventId: string;
	type: string;
	stream: string;
	error: string;
	at: string;
	state: DeadLetterState;
	attempts: number;
}

const busy = new Set<RebuildState>(['requested', 'running', 'cancel-requested']);

/** True while a rebuild is asked for, running or being cancelled. */
export const rebuildRunning = (rebuild: Rebuild | null | undefined): boolean => !!rebuild && busy.has(rebuild.state);

/** Dead letters that still need an admin's word (or are being retried). */
export const openDeadLetter = (letter: { state: DeadLetterState }): boolean =>
	letter.state === 'parked' || letter.state === 'retry-requested';
