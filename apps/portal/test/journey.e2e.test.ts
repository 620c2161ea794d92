/**
 * The event page's journey in a real browser against the whole stack (test/stack.ts):
 * a deposit made through the gateway is followed on its event page — accepted, stored,
 * placed in the feed, applied by each banking view — with times and durations.
 */
import { describe, expect, it } from 'vitest';
import { assertNoConsoleErrors, hydrated, openPage } from './browser.ts';
import { browserStack, signIn } from './browser-stack.ts';

describe('event journey', () => {
	const e2e = browserStack();
	const customer = `J2E${Date.now().toString(36).toUpperCase()}`;

	/** A deposit through the gateway's API as the Republic Bank owner; returns the Deposited event's id. */
	async function deposit(): Promise<string> {
		const account = e2e.stack.account('owner.republic');
		const signin = await fetch(`${e2e.stack.gatewayUrl}/auth/token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ username: account.username, password: account.password }),
		});
		const { token } = (await signin.json()) as { token: string };
		const reply = await fetch(`${e2e.stack.gatewayUrl}/api/banking/accounts/${customer}/republic/deposits`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Prefer: 'wait=10' },
			body: JSON.stringify({ amountCents: 4200 }),
		});
		expect(reply.status).toBe(200);
		return ((await reply.json()) as { events: { id: string; type: string }[] }).events.find((e) => e.type === 'Deposited')!.id;
	}

	it("shows a deposit's journey on its event page: each step with its time, every view applied", async () => {
		const eventId = await deposit();
		const watched = await openPage(await e2e.newContext({ timezoneId: 'America/Port_of_Spain' }));
		const { page } = watched;
		await signIn(page, e2e.stack.account('owner.scotia'), `/events/${eventId}`);
		await hydrated(page);

		const journey = page.getByTestId('journey');
		const step = (key: string) => journey.locator(`li[data-step="${key}"]`);
		// A view records its progress about once a second: until then its step is pending.
		await expect
			.poll(
				async () => {
					await page.reload();
					const states = await journey.locator('li[data-step^="projection:"]').evaluateAll((items) => items.map((li) => li.getAttribute('data-state')));
					return states.length > 0 && states.every((state) => state === 'applied');
				},
				{ timeout: 20_000, interval: 500 },
			)
			.toBe(true);

		expect(await step('accepted').locator('.label').textContent()).toBe('Accepted');
		expect(await step('stored').getAttribute('data-state')).toBe('done');
		expect(await step('placed').getAttribute('data-state')).toBe('done');
		expect(await step('placed').textContent()).toMatch(/Position \d+/);
		const views = await journey.locator('li[data-step^="projection:"] .label').allTextContents();
		expect(views).toEqual(expect.arrayContaining(['Applied by balances', 'Applied by ledger']));
		// Every step so far has a time, and each after the first how long it took.
		for (const key of ['accepted', 'stored', 'placed', 'projection:balances']) expect(await step(key).locator('time').count()).toBe(1);
		expect(await step('stored').locator('.took').textContent()).toMatch(/^\+\d+(\.\d)? (ms|s)$/);
		expect(await step('projection:balances').locator('.took').getAttribute('title')).toBe('after Placed in the feed');
		expect(await page.locator('.trace .mono').textContent()).toMatch(/^[0-9a-f]{32}$/);
		expect(await page.getByTestId('journey-error').count()).toBe(0);
		assertNoConsoleErrors(watched);
	});
});
