/**
 * The banking pages in real browsers against the whole stack (test/stack.ts):
 * two bank owners side by side as in seed 000. One deposits, the other sees it
 * without a reload; refusals show next to their field; the events page lists
 * the transaction and opens it in full; the customer page travels back in time.
 * Browsers run in Trinidad's time zone, so local-time inputs are really converted.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseDollars } from '../src/lib/components/banking/money.ts';
import { assertNoConsoleErrors, expectFailedRequest, openPage, type WatchedPage } from './browser.ts';
import { browserStack, signIn } from './browser-stack.ts';

const timezoneId = 'America/Port_of_Spain';
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** "$1,234.56" → 123456, exactly. */
function cents(text: string | null): number {
	const parsed = parseDollars((text ?? '').replace('−', '-'));
	if (!parsed.ok) throw new Error(`not an amount: ${text}`);
	return parsed.cents;
}

describe('banking pages', () => {
	const e2e = browserStack();
	const pages: WatchedPage[] = [];
	// One new customer per run, so every balance below is known.
	const customer = `E2E${Date.now().toString(36).toUpperCase()}`;
	let republic: WatchedPage;
	let scotia: WatchedPage;
	/** A moment after the first deposit and before the second (whole seconds, as the as-of input takes them). */
	let between: number;

	async function signedIn(username: string, options: { width?: number; height?: number } = {}): Promise<WatchedPage> {
		const context = await e2e.newContext({ timezoneId, viewport: { width: options.width ?? 1280, height: options.height ?? 900 } });
		const watched = await openPage(context);
		pages.push(watched);
		const { page } = watched;
		await signIn(page, e2e.stack.account(username), '/banking');
		await expect.poll(() => page.getByTestId('live-state').textContent(), { timeout: 10_000 }).toContain('live');
		return watched;
	}

	const balance = (page: Page, bank: string) => page.locator(`tr[data-account="${customer}:${bank}"] [data-testid="balance"]`);
	const bankTotal = async (page: Page, bank: string) => cents(await page.locator(`[data-bank-total="${bank}"] .total`).textContent());
	const status = (page: Page) => page.getByTestId('transaction-status').textContent();

	async function transact(page: Page, fields: { type?: 'Deposit' | 'Withdraw' | 'Void'; amount?: string; memo?: string }) {
		await page.getByLabel(/^Customer/).fill(customer);
		await page.getByRole('radio', { name: fields.type ?? 'Deposit' }).check();
		if (fields.amount !== undefined) await page.getByLabel(/^Amount/).fill(fields.amount);
		if (fields.memo !== undefined) await page.getByLabel(/^Memo/).fill(fields.memo);
		await page.getByTestId('transaction-form').locator('button[type="submit"]').click();
	}

	it("shows one owner's deposit in another owner's browser without a reload", async () => {
		republic = await signedIn('owner.republic');
		scotia = await signedIn('owner.scotia');

		// Each owner starts at their own bank and cannot pick another.
		expect(await republic.page.getByLabel('Bank', { exact: true }).inputValue()).toBe('republic');
		expect(await republic.page.locator('#tx-bank option[value="scotia"]').isDisabled()).toBe(true);
		expect(await scotia.page.getByLabel('Bank', { exact: true }).inputValue()).toBe('scotia');

		const republicTotalBefore = await bankTotal(scotia.page, 'republic');
		// A marker that a reload or navigation would wipe.
		await scotia.page.evaluate(() => Object.assign(window, { stayedOnPage: true }));

		await transact(republic.page, { amount: '125.50', memo: 'e2e opening deposit' });
		await expect.poll(() => status(republic.page), { timeout: 10_000 }).toMatch(/accepted|applied/);
		await expect.poll(() => republic.page.getByTestId('confirmed-balance').textContent(), { timeout: 10_000 }).toBe('$125.50');
		// The form is ready for the next one: amount and memo cleared, customer kept.
		expect(await republic.page.getByLabel(/^Amount/).inputValue()).toBe('');
		expect(await republic.page.getByLabel(/^Customer/).inputValue()).toBe(customer);

		await expect.poll(() => balance(scotia.page, 'republic').textContent(), { timeout: 10_000 }).toBe('$125.50');
		await expect.poll(() => bankTotal(scotia.page, 'republic'), { timeout: 10_000 }).toBe(republicTotalBefore + 12_550);
		expect(await scotia.page.evaluate(() => (window as { stayedOnPage?: boolean }).stayedOnPage)).toBe(true);

		await sleep(1100);
		between = Math.floor(Date.now() / 1000) * 1000;
		await sleep(1100);
		assertNoConsoleErrors(republic, scotia);
	});

	it('applies a form sent twice once', async () => {
		await republic.page.getByLabel(/^Amount/).fill('10.00');
		await republic.page.getByLabel(/^Memo/).fill('e2e double submit');
		// Two submits before the first answer, as a double click without the disabled button would send.
		await republic.page.getByTestId('transaction-form').evaluate((form: HTMLFormElement) => {
			form.requestSubmit();
			form.requestSubmit();
		});
		await expect.poll(() => status(republic.page), { timeout: 10_000 }).toContain('applied');
		await expect.poll(() => balance(scotia.page, 'republic').textContent(), { timeout: 10_000 }).toBe('$135.50');
		await sleep(500);
		expect(await balance(republic.page, 'republic').textContent()).toBe('$135.50');
		assertNoConsoleErrors(republic, scotia);
	});

	it('shows an overdraft next to the amount, and another bank next to the bank', async () => {
		await transact(republic.page, { type: 'Withdraw', amount: '1000.00' });
		const amountError = republic.page.locator('#tx-amount-error');
		await expect.poll(() => amountError.textContent(), { timeout: 10_000 }).toContain('would overdraw');
		expect(await amountError.textContent()).toContain('$135.50');
		expect(await republic.page.getByLabel(/^Amount/).getAttribute('aria-invalid')).toBe('true');
		// Keyboard users land on the field that needs them.
		expect(await republic.page.evaluate(() => document.activeElement?.id)).toBe('tx-amount');
		await expect.poll(() => status(republic.page), { timeout: 10_000 }).toContain('refused');
		expectFailedRequest(republic, 422, '/banking?/transact');

		// The form never offers another bank; a tampered one is still refused, at the bank field.
		await scotia.page.locator('#tx-bank option[value="republic"]').evaluate((option: HTMLOptionElement) => {
			option.disabled = false;
		});
		await scotia.page.getByLabel('Bank', { exact: true }).selectOption('republic');
		await transact(scotia.page, { amount: '1.00' });
		await expect.poll(() => scotia.page.locator('#tx-bank-error').textContent(), { timeout: 10_000 }).toContain('Scotia Bank');
		expectFailedRequest(scotia, 403, '/banking?/transact');

		expect(await balance(republic.page, 'republic').textContent()).toBe('$135.50');
		assertNoConsoleErrors(republic, scotia);
	});

	it('lists the new transactions on the events page and opens one in full', async () => {
		const { page } = scotia;
		await page.goto('/events');
		await page.getByLabel('Customer').fill(customer);
		await page.getByRole('button', { name: 'Filter' }).click();
		await page.waitForURL(new RegExp(`customer=${customer}`));

		const rows = page.locator('tbody tr[data-event]');
		await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
		// Newest first: the $10.00 deposit (once), the $125.50 deposit, the account opening.
		expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-type')))).toEqual(['Deposited', 'Deposited', 'AccountOpened']);
		expect(await rows.nth(0).locator('td.amount').textContent()).toContain('+$10.00');
		expect(await rows.nth(1).locator('td.amount').textContent()).toContain('+$125.50');

		await rows.nth(1).locator('td.when a').click();
		await page.waitForURL(/\/events\/[0-9a-f-]{36}$/);
		const data = await page.getByTestId('event-data').textContent();
		expect(JSON.parse(data ?? '{}')).toMatchObject({ customer, bank: 'republic', amountCents: 12_550, balanceAfterCents: 12_550, memo: 'e2e opening deposit' });
		expect(await page.locator('dl.envelope').textContent()).toContain('owner.republic');
		assertNoConsoleErrors(scotia);
	});

	it("shows the customer's earlier balance as of a past moment", async () => {
		const { page } = scotia;
		await page.goto(`/customers/${customer}`);
		expect(await page.locator('li[data-bank="republic"] [data-testid="account-balance"]').textContent()).toBe('$135.50');

		// The moment in the browser's own zone, as a person would type it.
		const local = await page.evaluate((ms) => {
			const d = new Date(ms);
			const pad = (n: number) => String(n).padStart(2, '0');
			return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
		}, between);
		await page.getByLabel(/^Balances as of/).fill(local);
		await page.getByRole('button', { name: 'Show' }).click();
		await page.waitForURL((url) => url.searchParams.get('asOf') === new Date(between).toISOString());

		const then = page.locator('tr[data-bank="republic"] [data-testid="as-of-balance"]');
		await expect.poll(() => then.textContent(), { timeout: 10_000 }).toContain('$125.50');
		expect(await page.getByTestId('as-of-total').textContent()).toBe('$125.50');

		// Each history row travels to just after its own event.
		await page.locator('tbody tr[data-event]').first().getByRole('link', { name: /^Balances just after/ }).click();
		await expect.poll(() => then.textContent(), { timeout: 10_000 }).toContain('$135.50');
		assertNoConsoleErrors(scotia);
	});

	it('works on a phone-width screen and by keyboard', async () => {
		const admin = await signedIn('admin', { width: 375, height: 800 });
		const { page } = admin;
		// Nothing in the page is wider than the screen.
		expect(await page.evaluate(() => document.querySelector('main')!.scrollWidth <= window.innerWidth)).toBe(true);

		// An admin may transact anywhere: a void registers the customer at First Citizens.
		await page.getByLabel('Bank', { exact: true }).selectOption('first-citizens');
		await page.getByLabel(/^Customer/).focus();
		await page.keyboard.type(customer);
		await page.keyboard.press('Tab'); // bank
		await page.keyboard.press('Tab'); // the type radios
		await page.keyboard.press('ArrowRight'); // withdraw
		await page.keyboard.press('ArrowRight'); // void
		expect(await page.getByRole('radio', { name: 'Void' }).isChecked()).toBe(true);
		expect(await page.getByLabel(/^Amount/).isDisabled()).toBe(true);
		await page.keyboard.press('Tab'); // memo (the amount is disabled for a void)
		await page.keyboard.type('e2e keyboard void');
		await page.keyboard.press('Enter');

		await expect.poll(() => balance(page, 'first-citizens').textContent(), { timeout: 10_000 }).toBe('$0.00');
		await expect.poll(() => balance(republic.page, 'first-citizens').textContent(), { timeout: 10_000 }).toBe('$0.00');
		expect(await page.evaluate(() => document.querySelector('main')!.scrollWidth <= window.innerWidth)).toBe(true);
		assertNoConsoleErrors(...pages);
	});
});
