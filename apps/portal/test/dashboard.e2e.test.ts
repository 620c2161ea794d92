/**
 * The report pages in a real browser against the whole stack (test/stack.ts):
 * orders sent through the gateway's API move the dashboard's numbers without a
 * reload (a late order into its own hour, a best-seller to the top of the
 * movies); a cross-bank movement appears on the alerts page and is decided there
 * with a note; the categories page creates, renames and deletes a category and
 * shows the cache's last invalidation. Any console error fails the test.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertNoConsoleErrors, expectFailedRequest, openPage, type WatchedPage } from './browser.ts';
import { browserStack, signIn } from './browser-stack.ts';

const hourMs = 3_600_000;

interface Movie {
	id: number;
	title: string;
	price: number;
}

describe('report pages', () => {
	const e2e = browserStack();
	let token: string;
	const run = Date.now().toString(36);

	async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
		const response = await fetch(new URL(path, e2e.stack.gatewayUrl), {
			method,
			headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
			...(body !== undefined ? { body: JSON.stringify(body) } : {}),
		});
		return { status: response.status, body: (await response.json()) as T };
	}

	/** $750 leaves Republic Bank and $740 arrives at Scotia Bank for `customer`; resolves with the alert's card on `page` once shown. */
	async function raiseAlert(page: Page, customer: string) {
		for (const [bank, kind, amountCents] of [
			['republic', 'deposits', 200_000],
			['republic', 'withdrawals', 75_000],
			['scotia', 'deposits', 74_000],
		] as const) {
			expect((await api('POST', `/api/banking/accounts/${customer}/${bank}/${kind}`, { amountCents })).status).toBe(202);
		}
		const card = page.locator('li[data-alert]', { hasText: customer });
		await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
		return card;
	}

	/** Orders in the shop's JSON (seed 004) for one movie, placed at `at`. */
	function orders(movie: Movie, count: number, quantity: number, at: Date) {
		return Array.from({ length: count }, (_, i) => ({
			Region: 'West',
			OrderDate: at.toISOString(),
			FirstName: 'Edith',
			LastName: 'Clarke',
			Address: '1 Grid St',
			City: 'Denver',
			State: 'CO',
			PostalCode: '80202',
			Country: 'United States',
			Phone: '555-123-4567',
			Email: 'edith@example.com',
			Total: Math.round(movie.price * 100 * quantity) / 100,
			PaymentTransactionId: `dash-${run}-${movie.id}-${at.getTime()}-${i}`,
			Details: [{ Email: 'edith@example.com', ProductId: movie.id, Quantity: quantity, UnitPrice: movie.price }],
		}));
	}

	async function signedIn(username: string, path: string, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
		const watched = await openPage(await e2e.newContext({ viewport }));
		const { page } = watched;
		await signIn(page, e2e.stack.account(username), path);
		await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 15_000 }).toContain('live');
		return watched;
	}

	const number = async (page: Page, testId: string) => Number((await page.getByTestId(testId).textContent())?.replace(/[^0-9.]/g, ''));
	const hourColumn = (page: Page, at: Date) => page.locator(`li[data-hour="${new Date(Math.floor(at.getTime() / hourMs) * hourMs).toISOString()}"]`);

	beforeAll(async () => {
		const answer = await fetch(new URL('/auth/token', e2e.stack.gatewayUrl), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ username: 'admin', password: e2e.stack.account('admin').password }),
		});
		token = ((await answer.json()) as { token: string }).token;
	});

	it('follows orders sent through the API without a reload', async () => {
		// The catalog is seeded when the stack starts; wait until its movies can be ordered.
		let movies: Movie[] = [];
		await expect
			.poll(async () => (movies = (await api<{ items: Movie[] }>('GET', '/api/orders/movies?limit=3')).body.items ?? []).length, { timeout: 60_000 })
			.toBe(3);
		const [bestSeller, other] = movies as [Movie, Movie];

		const dashboard = await signedIn('admin', '/dashboard');
		const { page } = dashboard;
		await page.evaluate(() => Object.assign(window, { stayedOnPage: true }));
		const thisHour = await number(page, 'orders-this-hour');
		const today = await number(page, 'orders-today');
		const threeHoursAgo = new Date(Date.now() - 3 * hourMs);
		const lateColumn = Number(await hourColumn(page, threeHoursAgo).getAttribute('data-orders'));

		const now = new Date();
		const sent = await api<{ stored: number }>('POST', '/api/orders/orders/batch', [...orders(bestSeller, 4, 40, now), ...orders(other, 2, 1, now)]);
		expect(sent.body.stored).toBe(6);
		await expect.poll(() => number(page, 'orders-this-hour'), { timeout: 15_000 }).toBe(thisHour + 6);
		await expect.poll(() => number(page, 'orders-today')).toBe(today + 6);
		// 160 copies: the best seller of all time, first on the board.
		await expect.poll(() => page.getByTestId('top-movies').locator('li').first().getAttribute('data-key'), { timeout: 15_000 }).toBe(String(bestSeller.id));
		expect(await page.getByTestId('top-movies').locator('li').first().textContent()).toContain(bestSeller.title);

		// A late order lands in the hour it was placed, not in this one.
		expect((await api<{ stored: number }>('POST', '/api/orders/orders/batch', orders(other, 1, 1, threeHoursAgo))).body.stored).toBe(1);
		await expect.poll(async () => Number(await hourColumn(page, threeHoursAgo).getAttribute('data-orders')), { timeout: 15_000 }).toBe(lateColumn + 1);
		expect(await number(page, 'orders-this-hour')).toBe(thisHour + 6);

		// Categories by revenue, with the keyboard.
		await page.getByRole('button', { name: 'Revenue' }).focus();
		await page.keyboard.press('Enter');
		expect(await page.getByRole('button', { name: 'Revenue' }).getAttribute('aria-pressed')).toBe('true');

		expect(await page.evaluate(() => (window as { stayedOnPage?: boolean }).stayedOnPage)).toBe(true);
		assertNoConsoleErrors(dashboard);
	});

	it('fits a phone: nothing on the page is wider than the screen', async () => {
		const phone = await signedIn('owner.scotia', '/dashboard', { width: 390, height: 844 });
		const overflow = await phone.page.evaluate(() => {
			const main = document.querySelector('main')!;
			return [...main.querySelectorAll('*')].filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1).map((element) => element.className);
		});
		expect(overflow).toEqual([]);
		assertNoConsoleErrors(phone);
	});

	it('shows a cross-bank movement as an alert and records an owner’s decision', async () => {
		const alerts = await signedIn('owner.republic', '/alerts');
		const { page } = alerts;
		const customer = `X${run.toUpperCase()}`;
		const card = await raiseAlert(page, customer);
		expect(await card.textContent()).toContain('Republic Bank');
		expect(await card.textContent()).toContain('$740.00');

		// The deposit landed at Scotia: freezing it is Scotia's owner's call, not Republic's.
		expect(await card.getByRole('checkbox').count()).toBe(0);

		// No note: the form says so next to the field.
		await card.getByRole('radio', { name: 'Dismissed' }).check();
		await card.getByRole('button', { name: 'Record decision' }).click();
		await expect.poll(() => card.locator('.field-error').textContent(), { timeout: 10_000 }).toContain('Say what you found');
		expectFailedRequest(alerts, 400, '/alerts?/decide');

		await card.getByLabel(/^Note/).fill('Customer confirmed: moving savings to Scotia.');
		await card.getByRole('button', { name: 'Record decision' }).click();
		await expect.poll(() => page.getByTestId('decision-status').textContent(), { timeout: 10_000 }).toContain('recorded');
		const decided = page.getByTestId('decided-alerts').locator('tr', { hasText: customer });
		await expect.poll(() => decided.count(), { timeout: 10_000 }).toBe(1);
		expect(await decided.textContent()).toContain('dismissed');
		expect(await decided.textContent()).toContain('moving savings');
		expect(await card.count()).toBe(0);
		assertNoConsoleErrors(alerts);
	});

	it('lets the receiving bank’s owner freeze the account while the alert is investigated', async () => {
		const alerts = await signedIn('owner.scotia', '/alerts');
		const { page } = alerts;
		const customer = `F${run.toUpperCase()}`;
		const card = await raiseAlert(page, customer);
		const freeze = card.getByRole('checkbox', { name: `Freeze ${customer}’s account at Scotia Bank while it is investigated` });
		await freeze.check();
		await card.getByLabel(/^Note/).fill('Same amount moved within the hour; holding it while we call.');

		// Dismissed and frozen do not go together: said next to the box, nothing recorded, the choices kept.
		await card.getByRole('radio', { name: 'Dismissed' }).check();
		await card.getByRole('button', { name: 'Record decision' }).click();
		await expect.poll(() => card.locator('.field-error').textContent(), { timeout: 10_000 }).toContain('frozen only while its alert is investigated');
		expectFailedRequest(alerts, 400, '/alerts?/decide');
		expect(await freeze.isChecked()).toBe(true);

		await card.getByRole('radio', { name: 'Investigated' }).check();
		await card.getByRole('button', { name: 'Record decision' }).click();
		await expect.poll(() => page.getByTestId('decision-status').textContent(), { timeout: 10_000 }).toContain('is being frozen');
		// Banking froze the receiving account: a deposit there is refused.
		await expect
			.poll(async () => (await api<{ type?: string }>('POST', `/api/banking/accounts/${customer}/scotia/deposits`, { amountCents: 100 })).body.type ?? '', { timeout: 15_000 })
			.toContain('account-frozen');
		assertNoConsoleErrors(alerts);
	});

	it('creates, renames and deletes a category and shows the cache invalidation', async () => {
		const categories = await signedIn('admin', '/categories');
		const { page } = categories;
		const name = `Noir ${run}`;
		await page.getByRole('textbox', { name: /^Name up to 40/ }).fill(name);
		await page.getByRole('button', { name: 'Create' }).click();
		await expect.poll(() => page.getByTestId('category-status').textContent(), { timeout: 10_000 }).toContain(`Created ${name}`);
		const row = page.locator('tr', { has: page.locator(`input[value="${name}"]`) });
		await expect.poll(() => row.count()).toBe(1);
		await expect.poll(() => page.getByTestId('last-invalidation').textContent()).toContain('a write through the API');

		const id = await row.getAttribute('data-category');
		const renamed = `${name} Classics`;
		await page.locator(`#name-${id}`).fill(renamed);
		await page.locator(`#name-${id}`).press('Enter');
		await expect.poll(() => page.getByTestId('category-status').textContent(), { timeout: 10_000 }).toContain(`Renamed to ${renamed}`);

		await page.getByRole('button', { name: `Delete ${renamed}` }).click();
		await expect.poll(() => page.getByTestId('category-status').textContent(), { timeout: 10_000 }).toContain(`Deleted ${renamed}`);
		await expect.poll(() => page.locator(`tr[data-category="${id}"]`).count()).toBe(0);

		// A category with movies stays, and the page says why.
		const first = page.locator('tr[data-category]').first();
		const firstName = await first.getByRole('textbox').inputValue();
		await first.getByRole('button', { name: `Delete ${firstName}` }).click();
		await expect.poll(() => first.locator('.field-error').textContent(), { timeout: 10_000 }).toBeTruthy();
		expectFailedRequest(categories, 422, '/categories?/delete');
		assertNoConsoleErrors(categories);
	});
});
