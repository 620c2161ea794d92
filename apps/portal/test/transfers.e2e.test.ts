/**
 * The transfer pages in real browsers against the whole stack (test/stack.ts):
 * Republic's owner sends money to a customer at Scotia through the form and
 * follows each transfer on its own page — completed, compensated once Scotia's
 * owner froze the account, rejected for want of funds — while Scotia's owner
 * watches them arrive in its list without a reload. A refused form shows its
 * field errors and starts nothing; the form works by keyboard on a phone.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { assertNoConsoleErrors, expectFailedRequest, openPage, type WatchedPage } from './browser.ts';
import { browserStack, signIn } from './browser-stack.ts';

const transferPage = /\/banking\/transfers\/([0-9a-f-]{36})$/;

describe('transfer pages', () => {
	const e2e = browserStack();
	const pages: WatchedPage[] = [];
	// One new customer per run, so every balance and transfer below is known.
	const customer = `TR${Date.now().toString(36).toUpperCase()}`;
	/** The transfers this file started, oldest first. */
	const started: string[] = [];
	let republic: WatchedPage;
	let scotia: WatchedPage;

	async function signedIn(username: string, path: string, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
		const watched = await openPage(await e2e.newContext({ timezoneId: 'America/Port_of_Spain', viewport }));
		pages.push(watched);
		await signIn(watched.page, e2e.stack.account(username), path);
		await expect.poll(() => watched.page.getByTestId('live-state').textContent(), { timeout: 10_000 }).toContain('live');
		return watched;
	}

	/** The gateway's API as `username`, for what the portal has no page for (freezing an account). */
	async function api<T>(username: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
		const account = e2e.stack.account(username);
		const login = await fetch(new URL('/auth/token', e2e.stack.gatewayUrl), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ username: account.username, password: account.password }),
		});
		const { token } = (await login.json()) as { token: string };
		const response = await fetch(new URL(path, e2e.stack.gatewayUrl), {
			method,
			headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
			...(body !== undefined ? { body: JSON.stringify(body) } : {}),
		});
		return { status: response.status, body: (await response.json()) as T };
	}

	const customerTransfers = async () =>
		(await api<{ items: { transferId: string }[] }>('owner.republic', 'GET', `/api/banking/transfers?customer=${customer}`)).body.items.length;

	/** The customer's balance at each bank, as the balances view has it. */
	const balances = async () =>
		Object.fromEntries(
			(await api<{ items: { bank: string; balanceCents: number }[] }>('owner.republic', 'GET', `/api/banking/balances?customer=${customer}`)).body.items.map(
				(row) => [row.bank, row.balanceCents],
			),
		);

	async function fillTransfer(page: Page, fields: { toBank?: string; amount: string }) {
		await page.getByLabel('From customer').fill(customer);
		await page.getByLabel('To customer').fill(customer);
		if (fields.toBank) await page.getByLabel('To bank').selectOption(fields.toBank);
		await page.getByLabel(/^Amount/).fill(fields.amount);
	}

	/** Sends the form, lands on the new transfer's page and waits until it has finished. */
	async function sendTransfer(page: Page, fields: { toBank?: string; amount: string }): Promise<string> {
		await fillTransfer(page, fields);
		await page.getByRole('button', { name: 'Send transfer' }).click();
		await page.waitForURL(transferPage, { timeout: 15_000 });
		const id = transferPage.exec(new URL(page.url()).pathname)![1]!;
		started.push(id);
		await expect.poll(() => page.getByTestId('transfer-step').textContent(), { timeout: 15_000 }).not.toContain('following');
		return id;
	}

	const step = (page: Page) => page.locator('[data-testid="transfer-step"] .badge').getAttribute('data-step');
	const timeline = (page: Page) => page.getByTestId('timeline-entry').locator('.input').allTextContents();
	const listed = (page: Page) => page.locator('tbody tr[data-transfer]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-transfer')));

	it('sends a transfer through the form, once when sent twice, and lands on its page completed', async () => {
		republic = await signedIn('owner.republic', '/banking');
		const { page } = republic;
		await page.getByLabel(/^Customer/).fill(customer);
		await page.getByRole('radio', { name: 'Deposit' }).check();
		await page.getByLabel(/^Amount/).fill('100.00');
		await page.getByTestId('transaction-form').locator('button[type="submit"]').click();
		await expect.poll(() => page.getByTestId('confirmed-balance').textContent(), { timeout: 10_000 }).toBe('$100.00');

		await page.getByRole('link', { name: 'Send money to another bank' }).click();
		await page.waitForURL(/\/banking\/transfers$/);
		// An owner sends from their own bank only: no bank to choose, and it is not offered as the destination.
		expect(await page.getByLabel('From bank').count()).toBe(0);
		expect(await page.locator('#tr-toBank option[value="republic"]').isDisabled()).toBe(true);

		await fillTransfer(page, { toBank: 'scotia', amount: '40.00' });
		// Two sends before the first answer, as a double click without the disabled button would.
		await page.getByTestId('transfer-form').evaluate((form: HTMLFormElement) => {
			form.requestSubmit();
			form.requestSubmit();
		});
		await page.waitForURL(transferPage, { timeout: 15_000 });
		started.push(transferPage.exec(new URL(page.url()).pathname)![1]!);

		await expect.poll(() => step(page), { timeout: 15_000 }).toBe('completed');
		expect(await timeline(page)).toEqual(['start', 'withdraw accepted', 'deposit accepted']);
		expect(await page.getByTestId('timeline-entry').locator('.badge').evaluateAll((badges) => badges.map((b) => b.getAttribute('data-step')))).toEqual([
			'withdrawing',
			'depositing',
			'completed',
		]);
		const summary = await page.getByTestId('transfer-summary').textContent();
		expect(summary).toContain('$40.00');
		expect(summary).toMatch(/from\s+TR\w+ at Republic Bank\s+to\s+TR\w+ at Scotia Bank/);
		expect(await page.locator('dl.summary').textContent()).toContain('owner.republic');
		expect(await page.getByTestId('transfer-reason').count()).toBe(0);
		expect(await customerTransfers()).toBe(1);
		assertNoConsoleErrors(republic);
	});

	it("refunds a transfer to a frozen account, and Scotia's owner sees it arrive without a reload", async () => {
		scotia = await signedIn('owner.scotia', '/banking/transfers');
		await expect.poll(() => listed(scotia.page), { timeout: 10_000 }).toContain(started[0]);
		// A marker that a reload or navigation would wipe.
		await scotia.page.evaluate(() => Object.assign(window, { stayedOnPage: true }));

		expect((await api('owner.scotia', 'POST', `/api/banking/accounts/${customer}/scotia/freeze`, { memo: 'e2e transfer refused' })).status).toBe(202);

		const { page } = republic;
		await page.goto('/banking/transfers');
		const id = await sendTransfer(page, { toBank: 'scotia', amount: '25.00' });
		expect(await step(page)).toBe('compensated');
		expect(await page.getByTestId('transfer-reason').textContent()).toContain('account-frozen');
		expect(await timeline(page)).toEqual(['start', 'withdraw accepted', 'deposit refused (account-frozen)', 'expire accepted', 'refund accepted']);

		const row = scotia.page.locator(`tr[data-transfer="${id}"]`);
		await expect.poll(() => row.locator('.badge').getAttribute('data-step'), { timeout: 10_000 }).toBe('compensated');
		expect(await row.locator('.reason').textContent()).toBe('account-frozen');
		expect(await scotia.page.evaluate(() => (window as { stayedOnPage?: boolean }).stayedOnPage)).toBe(true);
		assertNoConsoleErrors(republic, scotia);
	});

	it('rejects a transfer larger than the balance, moving nothing', async () => {
		const { page } = republic;
		await page.goto('/banking/transfers');
		await sendTransfer(page, { toBank: 'scotia', amount: '1,000.00' });
		expect(await step(page)).toBe('rejected');
		expect(await page.getByTestId('transfer-reason').textContent()).toContain('insufficient-funds');
		// Republic stored the refusal under the step's key (a second send gets the same answer); it reads as a refusal.
		expect(await timeline(page)).toEqual(['start', 'withdraw refused (insufficient-funds)']);
		expect(await page.getByTestId('timeline-entry').last().locator('.badge').getAttribute('data-step')).toBe('rejected');
		// $100 in, $40 sent, $25 sent and refunded, $1,000 refused: $60 at Republic, $40 at Scotia.
		await expect.poll(balances, { timeout: 10_000 }).toEqual({ republic: 6_000, scotia: 4_000 });
		assertNoConsoleErrors(republic);
	});

	it('shows a refused form’s errors next to its fields, keeps its values and starts nothing', async () => {
		const { page } = republic;
		await page.goto('/banking/transfers');
		await page.getByLabel('From customer').fill(customer);
		await page.getByLabel('To customer').fill(customer);
		// The form never offers the bank the money leaves; a tampered one is still refused, at the bank field.
		await page.locator('#tr-toBank option[value="republic"]').evaluate((option: HTMLOptionElement) => {
			option.disabled = false;
		});
		await page.getByLabel('To bank').selectOption('republic');
		await page.getByRole('button', { name: 'Send transfer' }).click();

		await expect.poll(() => page.locator('#tr-amount-error').textContent(), { timeout: 10_000 }).toContain('Enter an amount');
		expect(await page.locator('#tr-toBank-error').textContent()).toContain('another bank');
		expect(await page.getByLabel(/^Amount/).getAttribute('aria-invalid')).toBe('true');
		expect(await page.getByLabel('To bank').getAttribute('aria-invalid')).toBe('true');
		// Keyboard users land on the first field that needs them.
		expect(await page.evaluate(() => document.activeElement?.id)).toBe('tr-toBank');
		expect(await page.getByLabel('From customer').inputValue()).toBe(customer);
		expect(new URL(page.url()).pathname).toBe('/banking/transfers');
		expectFailedRequest(republic, 400, '/banking/transfers?/start');

		expect(await customerTransfers()).toBe(3);
		assertNoConsoleErrors(republic);
	});

	it('lists the transfers newest first, with their steps and why they did not complete', async () => {
		for (const { page } of [republic, scotia]) {
			await page.goto('/banking/transfers');
			const ours = (await listed(page)).filter((id) => started.includes(id!));
			expect(ours).toEqual([...started].reverse());
			const rows = started.map((id) => page.locator(`tr[data-transfer="${id}"]`));
			expect(await Promise.all(rows.map((row) => row.locator('.badge').getAttribute('data-step')))).toEqual(['completed', 'compensated', 'rejected']);
			expect(await rows[0]!.locator('.reason').count()).toBe(0);
			expect(await rows[2]!.locator('.reason').textContent()).toBe('insufficient-funds');
			expect(await rows[0]!.textContent()).toMatch(/Republic Bank[\s\S]*Scotia Bank[\s\S]*\$40\.00/);

			await rows[1]!.getByRole('link').click();
			await page.waitForURL(new RegExp(`/banking/transfers/${started[1]}$`));
			await expect.poll(() => step(page), { timeout: 10_000 }).toBe('compensated');
		}
		assertNoConsoleErrors(republic, scotia);
	});

	it('says when a transfer does not exist', async () => {
		const { page } = scotia;
		await page.goto('/banking/transfers/no-such-transfer');
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Transfer not found');
		expect(await page.locator('main').textContent()).toContain('no-such-transfer');
		expectFailedRequest(scotia, 404, '/banking/transfers/no-such-transfer');
		assertNoConsoleErrors(scotia);
	});

	it('works on a phone-width screen and by keyboard', async () => {
		const phone = await signedIn('owner.republic', '/banking/transfers', { width: 375, height: 800 });
		const { page } = phone;
		// Nothing in the page is wider than the screen.
		expect(await page.evaluate(() => document.querySelector('main')!.scrollWidth <= window.innerWidth)).toBe(true);

		await page.getByLabel('From customer').focus();
		await page.keyboard.type(customer);
		await page.keyboard.press('Tab'); // to customer
		await page.keyboard.type(customer);
		await page.keyboard.press('Tab'); // to bank
		await page.keyboard.press('ArrowDown'); // First Citizens
		expect(await page.getByLabel('To bank').inputValue()).toBe('first-citizens');
		await page.keyboard.press('Tab'); // amount
		await page.keyboard.type('5.00');
		await page.keyboard.press('Enter');

		await page.waitForURL(transferPage, { timeout: 15_000 });
		await expect.poll(() => step(page), { timeout: 15_000 }).toBe('completed');
		expect(await page.getByTestId('transfer-summary').textContent()).toContain('First Citizens');
		expect(await page.evaluate(() => document.querySelector('main')!.scrollWidth <= window.innerWidth)).toBe(true);
		assertNoConsoleErrors(...pages);
	});
});
