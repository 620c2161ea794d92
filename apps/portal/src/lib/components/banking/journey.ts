/**
 * An event's journey as a timeline: one step per record the platform keeps of it, in
 * the order it travels. Projections and webhooks work side by side after the
 * placement, so their durations are counted from it, not from each other.
 */
import type { EventJourney } from './types.ts';

export type StepTone = 'ok' | 'pending' | 'error' | 'idle';

export interface TimelineStep {
	key: string;
	label: string;
	detail?: string;
	tone: StepTone;
	state: string;
	at?: string;
	/** Milliseconds from the step it follows (named by `after`). */
	took?: number;
	after?: string;
}

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);

/** "12 ms", "1.4 s", "3 min 5 s", "2 h 4 min". */
export function formatDuration(milliseconds: number): string {
	const value = Math.max(0, Math.round(milliseconds));
	if (value < 1000) return `${value} ms`;
	if (value < 60_000) return `${(value / 1000).toFixed(value < 10_000 ? 1 : 0)} s`;
	const seconds = Math.round(value / 1000);
	if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
	return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

export function journeySteps(journey: EventJourney): TimelineStep[] {
	const steps: TimelineStep[] = [];
	const timed = (step: TimelineStep, from?: { label: string; at?: string | undefined }): TimelineStep => {
		const took = ms(step.at) - ms(from?.at);
		return Number.isFinite(took) && from ? { ...step, took, after: from.label } : step;
	};
	const accepted = { key: 'accepted', label: 'Accepted', detail: 'The command was decided', tone: 'ok' as const, state: 'done', at: journey.accepted.at };
	steps.push(accepted);
	const stored = timed({ key: 'stored', label: 'Stored', detail: `Version ${journey.version} of ${journey.stream}`, tone: 'ok', state: 'done', ...(journey.stored.at ? { at: journey.stored.at } : {}) }, accepted);
	steps.push(stored);
	const placedState = journey.placed;
	const placed: TimelineStep =
		placedState.state === 'placed'
			? timed({ key: 'placed', label: 'Placed in the feed', detail: `Position ${placedState.seq}`, tone: 'ok', state: 'done', ...(placedState.at ? { at: placedState.at } : {}) }, stored)
			: { key: 'placed', label: 'Placed in the feed', detail: 'Waiting for the relay', tone: 'pending', state: 'pending' };
	steps.push(placed);
	for (const projection of journey.projections) {
		const generation = projection.generation > 0 ? ` (generation ${projection.generation})` : '';
		const base = { key: `projection:${projection.runner}`, label: `Applied by ${projection.projection}`, ...(projection.at ? { at: projection.at } : {}) };
		if (projection.state === 'applied') {
			const detail = projection.at ? `View ${projection.projection}${generation}` : `View ${projection.projection}${generation}; its time is not kept (applied over a week ago, or by a rebuild)`;
			steps.push(timed({ ...base, detail, tone: 'ok', state: 'applied' }, placed));
		} else if (projection.state === 'parked') {
			steps.push({ ...base, detail: projection.error ? `Parked as a dead letter: ${projection.error}` : 'Parked as a dead letter', tone: 'error', state: 'parked' });
		} else if (projection.state === 'skipped') {
			steps.push({ ...base, detail: 'An admin skipped this dead letter', tone: 'idle', state: 'skipped' });
		} else {
			steps.push({ ...base, detail: 'Not recorded as applied yet (a view saves its progress about once a second)', tone: 'pending', state: 'pending' });
		}
	}
	for (const delivery of journey.deliveries) {
		const attempts = `${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}`;
		const status = delivery.status !== undefined ? `, last answer ${delivery.status === 0 ? 'none' : delivery.status}` : '';
		const base = { key: `webhook:${delivery.subscription}`, label: 'Delivered to a webhook', ...(delivery.at ? { at: delivery.at } : {}) };
		if (delivery.state === 'delivered') steps.push(timed({ ...base, detail: `${delivery.url} · ${attempts}${status}`, tone: 'ok', state: 'delivered' }, placed));
		else if (delivery.state === 'failing') steps.push({ ...base, detail: `${delivery.url} · ${attempts}${status}${delivery.error ? `: ${delivery.error}` : ''}`, tone: 'error', state: 'failing' });
		else steps.push({ ...base, detail: `${delivery.url} · not delivered yet`, tone: 'pending', state: 'pending' });
	}
	return steps;
}
