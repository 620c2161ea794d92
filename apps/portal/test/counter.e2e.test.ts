/**
 * The counter page in real browsers against the whole stack (test/stack.ts):
 * two people signed in from two browsers see each other's increments live, and
 * the gateway's validation error shows next to the field.
 */
import { describe, expect, it } from 'vitest';
import { assertNoConsoleErrors, expectFailedRequest, openPage, type WatchedPage } from './browser.ts';
import { browserStack, signIn } from './browser-stack.ts';
import type { Account, Stack } from './stack.ts';

/** Two people who may both use the counter: an owner and the admin. */
function accounts(stack: Stack): [Account, Account] {
	const owner = stack.accounts.find((account) => account.role === 'owner');
	const admin = stack.accounts.find((account) => account.role === 'admin');
	if (!owner || !admin) throw new Error('the e2e test needs an owner and an admin account');
	return [owner, admin];
}

describe('counter page', () => {
	const e2e = browserStack();
	const pages: WatchedPage[] = [];

	async function signedIn(account: Account): Promise<WatchedPage> {
		const watched = await openPage(await e2e.newContext());
		pages.push(watched);
		const { page } = watched;
		await signIn(page, account, '/counter');
		await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 10_000 }).toContain('live');
		return watched;
	}

	it("shows one browser's increment in another without a reload", async () => {
		const [first, second] = accounts(e2e.stack);
		const a = await signedIn(first);
		const b = await signedIn(second);
		const id = `e2e${Date.now().toString(36)}`;

		// A marker that a reload or navigation would wipe.
		await b.page.evaluate(() => Object.assign(window, { stayedOnPage: true }));

		await a.page.getByLabel('Counter id').fill(id);
		await a.page.getByRole('spinbutton', { name: /^By/ }).fill('3');
		await a.page.getByRole('button', { name: 'Increment', exact: true }).click();
		await expect.poll(() => a.page.getByTestId('command-status').textContent(), { timeout: 10_000 }).toMatch(/accepted|applied/);
		await expect.poll(() => a.page.getByTestId('confirmed-value').textContent(), { timeout: 10_000 }).toBe('3');

		const rowValue = (page: WatchedPage['page']) => page.locator(`tr[data-counter="${id}"] td.value`).textContent();
		await expect.poll(() => rowValue(b.page), { timeout: 10_000 }).toBe('3');

		// And the other way round, from the row's own button.
		await b.page.getByRole('button', { name: `Increment ${id} by 1` }).click();
		await expect.poll(() => rowValue(a.page), { timeout: 10_000 }).toBe('4');

		expect(await b.page.evaluate(() => (window as { stayedOnPage?: boolean }).stayedOnPage)).toBe(true);
		assertNoConsoleErrors(a, b);
	});

	it("shows the gateway's error for a bad amount next to the field", async () => {
		const [first] = accounts(e2e.stack);
		const a = pages[0] ?? (await signedIn(first));
		a.errors.length = 0;

		await a.page.getByLabel('Counter id').fill('e2ebad');
		await a.page.getByRole('spinbutton', { name: /^By/ }).fill('5000');
		await a.page.getByRole('button', { name: 'Increment', exact: true }).click();

		const error = a.page.locator('#counter-by-error');
		await expect.poll(() => error.isVisible(), { timeout: 10_000 }).toBe(true);
		expect((await error.textContent())?.trim()).not.toBe('');
		expect(await a.page.getByRole('spinbutton', { name: /^By/ }).getAttribute('aria-invalid')).toBe('true');
		await expect.poll(() => a.page.getByTestId('command-status').textContent(), { timeout: 10_000 }).toContain('rejected');
		expectFailedRequest(a, 400, '/counter?/increment');
		assertNoConsoleErrors(a);
	});
});
