/**
 * Debian's chromium driven by playwright-core, with every console error and
 * uncaught page error recorded per page, so a test can fail on any of them.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const flags = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

export function launchChromium(): Promise<Browser> {
	return chromium.launch({ executablePath: chromiumPath, args: flags });
}

export interface WatchedPage {
	page: Page;
	/** Console errors and uncaught exceptions, in the order they happened. */
	errors: ConsoleError[];
}

export interface ConsoleError {
	text: string;
	/** The script or resource the message points at, when the browser says. */
	url: string;
	/** Set when a test declared this failed request as the behaviour under test. */
	expected?: boolean;
}

/** Starts recording a page's errors; call before the page navigates. */
export function watchConsole(page: Page): WatchedPage {
	const errors: ConsoleError[] = [];
	page.on('console', (message) => {
		if (message.type() === 'error') errors.push({ text: message.text(), url: message.location().url });
	});
	page.on('pageerror', (error) => errors.push({ text: `uncaught ${error.name}: ${error.message}`, url: page.url() }));
	return { page, errors };
}

/** A new page in `context`, already recording its errors. */
/** Waits until the page's scripts have taken over its HTML (see the root layout). */
export async function hydrated(page: Page): Promise<void> {
	await page.waitForFunction(() => document.documentElement.dataset.hydrated === 'true', undefined, { timeout: 30_000 });
}

/** A page whose `goto` also waits for hydration, so a test never types into a page about to reset its inputs. */
export async function openPage(context: BrowserContext): Promise<WatchedPage> {
	const page = await context.newPage();
	const goto = page.goto.bind(page);
	page.goto = async (url, options) => {
		const response = await goto(url, options);
		await hydrated(page);
		return response;
	};
	return watchConsole(page);
}

/**
 * Chromium logs "Failed to load resource … status of 400" for any 4xx/5xx fetch,
 * including a form action answering `fail(400, …)` — the behaviour a validation
 * test is checking. Marks exactly those (status and URL) as expected; every
 * other error still fails the test.
 */
export function expectFailedRequest(watched: WatchedPage, status: number, urlPart: string): void {
	const marker = `the server responded with a status of ${status}`;
	for (const error of watched.errors) {
		if (error.text.includes(marker) && error.url.includes(urlPart)) error.expected = true;
	}
}

/** Throws with every unexpected recorded error when a page logged any. */
export function assertNoConsoleErrors(...pages: WatchedPage[]): void {
	const errors = pages.flatMap((watched) =>
		watched.errors.filter((error) => !error.expected).map((error) => `${watched.page.url()}: ${error.text}${error.url ? ` (${error.url})` : ''}`),
	);
	if (errors.length > 0) throw new Error(`console errors:\n${errors.join('\n')}`);
}
