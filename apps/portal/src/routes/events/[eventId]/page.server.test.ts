import { ProblemError } from '@eventloom/client';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const gateway = vi.hoisted(() => ({ readEvent: vi.fn(), readJourney: vi.fn() }));
vi.mock('#lib/components/banking/gateway.server.ts', async (original) => ({ ...(await original<object>()), ...gateway }));

const { load } = await import('./+page.server.ts');

const problem = (status: number, title: string) => new ProblemError({ type: 'about:blank', title, status, detail: title });
const event = { event: { id: 'e1' }, log: { seq: 1 } };
const args = () =>
	({
		locals: { token: 't' },
		url: new URL('http://portal/events/e1'),
		cookies: { get: () => undefined, set: () => {}, delete: () => {} },
		params: { eventId: 'e1' },
	}) as unknown as Parameters<typeof load>[0];

describe('the event page load', () => {
	beforeEach(() => {
		gateway.readEvent.mockResolvedValue(event);
	});

	it('gives the event and its journey', async () => {
		gateway.readJourney.mockResolvedValue({ eventId: 'e1' });
		expect(await load(args())).toMatchObject({ detail: event, journey: { eventId: 'e1' }, journeyError: null });
	});

	it('shows the event with a readable line when its journey cannot be read', async () => {
		gateway.readJourney.mockRejectedValue(problem(503, 'Storage is unavailable'));
		expect(await load(args())).toMatchObject({ detail: event, journey: null, journeyError: 'The journey could not be read: Storage is unavailable' });
	});

	it('says so, not crash, on an answer it did not expect', async () => {
		gateway.readJourney.mockRejectedValue(new TypeError('fetch failed'));
		const data = await load(args());
		expect(data).toMatchObject({ detail: event, journey: null });
		expect(data?.journeyError).toMatch(/^The journey could not be read: /);
	});
});
