/**
 * The counter page in real browsers against a running portal and gateway:
 * two people signed in from two browsers see each other's increments live, and
 * the gateway's validation error shows next to the field.
 *
 * Needs PORTAL_URL and GATEWAY_URL (the e2e fixture starts Azurite, gateway and
 * portal and sets them). Accounts come from E2E_ACCOUNTS (JSON
 * `[{ "username", "password" }, …]`), else EVENTLOOM_HOME/accounts.json (the
 * gateway's local accounts), else the stub gateway's accounts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoConsoleErrors, expectFailedRequest, launchChromium, openPage, type WatchedPage } from './browser.ts';
import { stubAccounts } from './stub-gateway.ts';

const portalUrl = process.env.PORTAL_URL;
const gatewayUrl = process.env.GATEWAY_URL;
const ready = Boolean(portalUrl && gatewayUrl);
const skipped = ready ? '' : ' (skipped: needs PORTAL_URL and GATEWAY_URL, started by the e2e fixture)';

interface Account {
	username: string;
	password: string;
}

function accounts(): [Account, Account] {
	let list: Account[] = stubAccounts.map(({ username, password }) => ({ username, password }));
	const home = process.env.EVENTLOOM_HOME;
	if (process.env.E2E_ACCOUNTS) {
		list = JSON.parse(process.env.E2E_ACCOUNTS) as Account[];
	} else if (home && existsSync(join(home, 'accounts.json'))) {
		const file = JSON.parse(readFileSync(join(home, 'accounts.json'), 'utf8')) as { accounts: (Account & { role: string })[] };
		// Two people who may both use the counter: an owner and the admin.
		const owner = file.accounts.find((account) => account.role === 'owner');
		const admin = file.accounts.find((account) => account.role === 'admin');
		list = [owner, admin].filter((account): account is Account & { role: string } => account !== undefined);
	}
	const [first, second] = list;
	if (!first || !second || first.username === second.username) throw new Error('the e2e test needs two different accounts');
	return [first, second];
}

describe('counter page', () => {
	let browser: Browser;
	const contexts: BrowserContext[] = [];
	const pages: WatchedPage[] = [];

	async function signedIn(account: Account): Promise<WatchedPage> {
		const context = await browser.newContext({ baseURL: portalUrl });
		contexts.push(context);
		const watched = await openPage(context);
		pages.push(watched);
		const { page } = watched;
		await page.goto('/counter');
		await page.waitForURL(/\/login/);
		await page.getByLabel('Username').fill(account.username);
		await page.getByLabel('Password').fill(account.password);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL(/\/counter$/);
		await expect.poll(() => page.getByTestId('live-state').textContent()).toContain('live');
		return watched;
	}

	beforeAll(async () => {
		if (ready) browser = await launchChromium();
	});

	afterAll(async () => {
		for (const context of contexts) await context.close();
		await browser?.close();
	});

	it.skipIf(!ready)(`shows one browser's increment in another without a reload${skipped}`, async () => {
		const [first, second] = accounts();
		const a = await signedIn(first);
		const b = await signedIn(second);
		const id = `e2e${Date.now().toString(36)}`;

		// A marker that a reload or navigation would wipe.
		await b.page.evaluate(() => Object.assign(window, { stayedOnPage: true }));

		await a.page.getByLabel('Counter id').fill(id);
		await a.page.getByRole('spinbutton', { name: /^By/ }).fill('3');
		await a.page.getByRole('button', { name: 'Increment', exact: true }).click();
		await expect.poll(() => a.page.getByTestId('command-status').textContent()).toMatch(/accepted|applied/);
		await expect.poll(() => a.page.getByTestId('confirmed-value').textContent(), { timeout: 10_000 }).toBe('3');

		const rowValue = (page: WatchedPage['page']) => page.locator(`tr[data-counter="${id}"] td.value`).textContent();
		await expect.poll(() => rowValue(b.page), { timeout: 10_000 }).toBe('3');

		// And the other way round, from the row's own button.
		await b.page.getByRole('button', { name: `Increment ${id} by 1` }).click();
		await expect.poll(() => rowValue(a.page), { timeout: 10_000 }).toBe('4');

		expect(await b.page.evaluate(() => (window as { stayedOnPage?: boolean }).stayedOnPage)).toBe(true);
		assertNoConsoleErrors(a, b);
	});

	it.skipIf(!ready)(`shows the gateway's error for a bad amount next to the field${skipped}`, async () => {
		const [first] = accounts();
		const a = pages[0] ?? (await signedIn(first));
		a.errors.length = 0;

		await a.page.getByLabel('Counter id').fill('e2ebad');
		await a.page.getByRole('spinbutton', { name: /^By/ }).fill('5000');
		await a.page.getByRole('button', { name: 'Increment', exact: true }).click();

		const error = a.page.locator('#counter-by-error');
		await expect.poll(() => error.isVisible(), { timeout: 10_000 }).toBe(true);
		expect((await error.textContent())?.trim()).not.toBe('');
		expect(await a.page.getByRole('spinbutton', { name: /^By/ }).getAttribute('aria-invalid')).toBe('true');
		await expect.poll(() => a.page.getByTestId('command-status').textContent()).toContain('rejected');
		expectFailedRequest(a, 400, '/counter?/increment');
		assertNoConsoleErrors(a);
	});
});
