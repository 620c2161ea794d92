/**
 * The admin page in a real browser against the whole stack (test/stack.ts): an
 * admin rebuilds a view and watches its progress bar reach done without a reload,
 * from the mouse and from the keyboard; on a phone the page fits the screen; an
 * owner gets a clear refusal.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { assertNoConsoleErrors, openPage, type WatchedPage } from './browser.ts';
import { browserStack, signIn } from './browser-stack.ts';

describe('admin page', () => {
	const e2e = browserStack();

	async function signedIn(role: 'admin' | 'owner', width = 1280): Promise<WatchedPage> {
		const account = e2e.stack.accounts.find((candidate) => candidate.role === role);
		if (!account) throw new Error(`the stack has no ${role} account`);
		const watched = await openPage(await e2e.newContext({ viewport: { width, height: 900 } }));
		await signIn(watched.page, account, '/admin');
		return watched;
	}

	const progress = (page: Page, projection: string) => page.locator(`[data-testid="rebuild-progress"][data-projection="${projection}"]`);
	const generation = async (page: Page, projection: string) =>
		Number(await page.locator(`tr[data-projection="${projection}"] td[data-label="Generation"]`).textContent());

	it('rebuilds a view from its Rebuild button and shows the progress bar reach done, live', async () => {
		const admin = await signedIn('admin');
		const { page } = admin;
		await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 15_000 }).toContain('live');
		const row = page.locator('tr[data-projection="banking/balances"]');
		await expect.poll(() => row.getByTestId('projection-state').textContent(), { timeout: 30_000 }).toContain('live');
		const before = await generation(page, 'banking/balances');
		// A marker that a reload or navigation would wipe: the bar must move by itself.
		await page.evaluate(() => Object.assign(window, { stayedOnPage: true }));

		await page.getByRole('button', { name: 'Rebuild banking/balances' }).click();
		await expect.poll(() => page.getByTestId('admin-notice').textContent(), { timeout: 10_000 }).toContain('Rebuild requested: banking/balances');

		const bar = progress(page, 'banking/balances');
		await expect.poll(() => bar.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
		expect(await bar.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
		expect(await bar.textContent()).toMatch(/done\s*\d+ events in \d+ s · generation \d+ live/);
		await expect.poll(() => generation(page, 'banking/balances'), { timeout: 10_000 }).toBe(before + 1);
		await expect.poll(() => row.getByTestId('projection-state').textContent()).toContain('live');
		expect(await page.evaluate(() => (window as { stayedOnPage?: boolean }).stayedOnPage)).toBe(true);
		assertNoConsoleErrors(admin);
	});

	it('shows which worker process holds each relay, partition, merger and projection', async () => {
		const { page } = await signedIn('admin');
		await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 15_000 }).toContain('live');
		const banking = page.locator('section[data-context="banking"]');
		// The stack runs one worker process beside the gateway: it holds them all.
		await expect.poll(() => banking.getByTestId('relay-worker').textContent(), { timeout: 30_000 }).toMatch(/relay on .+ · pid \d+/);
		const holder = /pid \d+/.exec((await banking.getByTestId('relay-worker').textContent()) ?? '')![0];
		await expect.poll(() => banking.locator('tr[data-projection="banking/balances"]').getByTestId('projection-worker').textContent()).toContain(holder);
		// How far behind, in events and seconds; nothing has stalled, so no alert.
		await expect
			.poll(() => banking.locator('tr[data-projection="banking/balances"]').getByTestId('projection-lag').textContent(), { timeout: 30_000 })
			.toMatch(/^(caught up|[\d,]+ events? \/ [\d.]+ s behind)$/);
		expect(await page.getByTestId('stalled-alert').count()).toBe(0);
		// Orders' feed has four partitions: each one's relay, and the merger, on that worker.
		const orders = page.locator('section[data-context="orders"]');
		await expect.poll(() => orders.getByTestId('feed-partitions').textContent(), { timeout: 30_000 }).toBe('4 partitions');
		await expect.poll(() => orders.getByTestId('merger-worker').textContent(), { timeout: 30_000 }).toContain(holder);
		await expect
			.poll(async () => (await orders.locator('li[data-partition]').allTextContents()).map((text) => text.includes(holder)), { timeout: 30_000 })
			.toEqual([true, true, true, true]);
	});

	it('rebuilds a whole context from the keyboard', async () => {
		const admin = await signedIn('admin');
		const { page } = admin;
		await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 15_000 }).toContain('live');
		const target = 'Rebuild all of Counter';
		let focused = '';
		for (let presses = 0; presses < 80 && focused !== target; presses++) {
			await page.keyboard.press('Tab');
			focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
		}
		expect(focused).toBe(target);
		await page.keyboard.press('Enter');
		await expect.poll(() => page.getByTestId('admin-notice').textContent(), { timeout: 10_000 }).toContain('counter/counters');
		await expect.poll(() => progress(page, 'counter/counters').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
		assertNoConsoleErrors(admin);
	});

	it('fits a phone screen, every figure labelled', async () => {
		const admin = await signedIn('admin', 390);
		const { page } = admin;
		const row = page.locator('tr[data-projection="banking/ledger"]');
		await row.waitFor();
		const widths = await page.evaluate(() => {
			const sections = [...document.querySelectorAll('main section')];
			return sections.map((section) => section.getBoundingClientRect().right);
		});
		for (const right of widths) expect(right).toBeLessThanOrEqual(390);
		expect(await page.getByRole('button', { name: 'Rebuild banking/ledger' }).isVisible()).toBe(true);
		expect(await row.locator('td[data-label="Lag"]').evaluate((cell) => getComputedStyle(cell, '::before').content)).toBe('"Lag"');
		assertNoConsoleErrors(admin);
	});

	it('alerts the admin to a stalled projection, with how far behind it is', async () => {
		const account = e2e.stack.accounts.find((candidate) => candidate.role === 'admin')!;
		const { page } = await openPage(await e2e.newContext({ viewport: { width: 1280, height: 900 } }));
		// The live stream says what a gateway says of a projection that stopped applying (stalling one for real takes a worker down).
		const overview = {
			at: new Date().toISOString(),
			contexts: [
				{
					name: 'banking',
					title: 'Banking',
					feedHead: 10,
					relayLagMs: 0,
					projections: [
						{ context: 'banking', name: 'balances', source: 'banking', checkpoint: 7, lag: 3, lagSeconds: 42, stalled: true, eventsPerSecond: 0, state: 'stalled', generation: 0, deadLetters: 0, rebuild: null },
						{ context: 'banking', name: 'ledger', source: 'banking', checkpoint: 10, lag: 0, lagSeconds: 0, stalled: false, eventsPerSecond: 0, state: 'live', generation: 0, deadLetters: 0, rebuild: null },
					],
				},
			],
		};
		await page.route('**/admin/live', (route) =>
			route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: `event: projections\ndata: ${JSON.stringify(overview)}\n\n` }),
		);
		await signIn(page, account, '/admin');
		const alert = page.getByTestId('stalled-alert');
		await alert.waitFor({ timeout: 15_000 });
		expect(await alert.getAttribute('role')).toBe('alert');
		expect(await alert.textContent()).toMatch(/A projection has stalled.*banking\/balances — 3 events \/ 42 s behind/s);
		const row = page.locator('tr[data-projection="banking/balances"]');
		expect(await row.getByTestId('projection-state').textContent()).toContain('stalled');
		expect(await row.getByTestId('projection-lag').textContent()).toBe('3 events / 42 s behind');
		expect(await page.locator('tr[data-projection="banking/ledger"]').getByTestId('projection-lag').textContent()).toBe('caught up');
	});

	it('tells an owner the page is for admins', async () => {
		const owner = await signedIn('owner');
		const refusal = owner.page.getByTestId('admin-error');
		await refusal.waitFor();
		expect(await refusal.textContent()).toContain('Admins only');
		expect(await owner.page.getByRole('button', { name: /Rebuild/ }).count()).toBe(0);
		// The refusal is the page's answer (403), which Chromium logs for the document.
		for (const error of owner.errors) if (error.text.includes('status of 403')) error.expected = true;
		assertNoConsoleErrors(owner);
	});
});
