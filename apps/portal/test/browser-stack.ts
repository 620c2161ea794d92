/**
 * What each browser test file sets up: the whole stack (stack.ts) and Chromium,
 * started before its tests and stopped after them, and signing in through the
 * portal's form.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { hydrated, launchChromium } from './browser.ts';
import { startStack, type Account, type Stack } from './stack.ts';

export interface BrowserStack {
	readonly stack: Stack;
	readonly browser: Browser;
	/** A context on the portal (its baseURL), closed after the file's tests. */
	newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
}

/** Call in a `describe`: its tests then reach the stack and the browser through what this returns. */
export function browserStack(): BrowserStack {
	let stack: Stack | undefined;
	let browser: Browser | undefined;
	const contexts: BrowserContext[] = [];

	beforeAll(async () => {
		stack = await startStack();
		browser = await launchChromium();
	}, 240_000);

	afterAll(async () => {
		for (const context of contexts) await context.close();
		await browser?.close();
		await stack?.stop();
	}, 60_000);

	const started = <T>(value: T | undefined, what: string): T => {
		if (value === undefined) throw new Error(`${what} is not started yet: use it in a test or a beforeAll after browserStack()`);
		return value;
	};

	return {
		get stack() {
			return started(stack, 'the stack');
		},
		get browser() {
			return started(browser, 'the browser');
		},
		async newContext(options = {}) {
			const context = await started(browser, 'the browser').newContext({ baseURL: started(stack, 'the stack').portalUrl, ...options });
			contexts.push(context);
			return context;
		},
	};
}

/** Opens `path`, signs in on the form it redirects to, and waits until the browser is back on `path`. */
export async function signIn(page: Page, account: Pick<Account, 'username' | 'password'>, path: string): Promise<void> {
	await page.goto(path);
	await page.waitForURL(/\/login/);
	await hydrated(page);
	await page.getByLabel('Username').fill(account.username);
	await page.getByLabel('Password').fill(account.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(new RegExp(`${path}$`));
}
