/**
 * The whole of Eventloom for a browser test: `tools/cli/src/up.ts` (its own
 * Azurite, the gateway, a worker with Redis, the built portal) on free ports with
 * a temporary EVENTLOOM_HOME, and the local accounts the gateway created there.
 *
 * With PORTAL_URL and GATEWAY_URL set, a test uses that running stack instead
 * (for instance the stub gateway); accounts then come from E2E_ACCOUNTS (JSON
 * `[{ "username", "password", "role" }, …]`), else EVENTLOOM_HOME/accounts.json,
 * else the stub's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../../tools/cli/src/ports.ts';
import { stubAccounts } from './stub-gateway.ts';

const root = resolve(import.meta.dirname, '../../..');
const portalDir = join(root, 'apps/portal');

export interface Account {
	username: string;
	password: string;
	role?: string;
	bank?: string;
}

export interface Stack {
	portalUrl: string;
	gatewayUrl: string;
	accounts: Account[];
	/** The account with this username; throws when the stack has none. */
	account(username: string): Account;
	stop(): Promise<void>;
}

const startTimeoutMs = 180_000;

export async function startStack(): Promise<Stack> {
	const { PORTAL_URL: portalUrl, GATEWAY_URL: gatewayUrl } = process.env;
	if (portalUrl && gatewayUrl) return stack(portalUrl, gatewayUrl, externalAccounts(), async () => {});
	return startUp();
}

function stack(portalUrl: string, gatewayUrl: string, accounts: Account[], stop: () => Promise<void>): Stack {
	return {
		portalUrl,
		gatewayUrl,
		accounts,
		account(username) {
			const account = accounts.find((candidate) => candidate.username === username);
			if (!account) throw new Error(`the stack has no account ${username} (it has ${accounts.map((a) => a.username).join(', ')})`);
			return account;
		},
		stop,
	};
}

async function startUp(): Promise<Stack> {
	const home = mkdtempSync(join(tmpdir(), 'eventloom-e2e-'));
	const [gatewayPort, portalPort] = [await freePort(), await freePort()];
	// up.ts starts its own Azurite when no connection string is given; the test run's
	// shared one stays out of it. A prefix of its own keeps its Redis traffic apart too.
	const { AZURE_STORAGE_CONNECTION_STRING: _shared, PORT: _port, ...inherited } = process.env;
	const args = [
		join(root, 'tools/cli/src/up.ts'),
		'--gateway-port', String(gatewayPort),
		'--portal-port', String(portalPort),
		'--blob-port', '0',
		'--table-port', '0',
		...(portalBuildIsFresh() ? ['--no-build'] : []),
	];
	const child = spawn(process.execPath, args, {
		cwd: root,
		// No demo orders: the tests bring their own data, and 3,000 orders being projected
		// would hold the worker while the tests expect their changes live within seconds.
		env: { ...inherited, EVENTLOOM_HOME: home, EVENTLOOM_PREFIX: `e2e${randomBytes(3).toString('hex')}`, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ORDERS_DEMO_ORDERS: '0' },
		stdio: ['ignore', 'pipe', 'pipe'],
	});

	const output = capture(child);
	const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
			await exited;
			clearTimeout(force);
		}
		rmSync(home, { recursive: true, force: true });
	};

	try {
		const banner = await Promise.race([
			output.waitFor(/Eventloom is (partly )?up[\s\S]*Ctrl-C stops everything/),
			exited.then((code) => {
				throw new Error(`up.ts exited (code ${code}) before the stack was up`);
			}),
			timeout(startTimeoutMs, `the stack was not up within ${startTimeoutMs / 1000} s`),
		]);
		if (banner.includes('partly up')) throw new Error('the stack is only partly up');
		const portal = /portal\s+(http:\/\/\S+)/.exec(banner)?.[1];
		const gateway = /gateway\s+(http:\/\/\S+)/.exec(banner)?.[1];
		if (!portal || !gateway) throw new Error('the banner names no portal or gateway URL');
		return stack(portal, gateway, homeAccounts(home), stop);
	} catch (error) {
		await stop();
		throw new Error(`${(error as Error).message}\n--- up.ts output (last lines) ---\n${output.tail(60)}`, { cause: error });
	}
}

/** The portal build is newer than every source it is built from, so `up` may skip the build. */
function portalBuildIsFresh(): boolean {
	const built = join(portalDir, 'build/index.js');
	if (!existsSync(built)) return false;
	const builtAt = statSync(built).mtimeMs;
	const sources = [join(portalDir, 'src'), join(portalDir, 'static'), join(portalDir, 'vite.config.ts'), join(portalDir, 'node-entry.js'), join(portalDir, 'package.json')];
	return sources.every((source) => newestChange(source) < builtAt);
}

function newestChange(path: string): number {
	if (!existsSync(path)) return 0;
	const stats = statSync(path);
	if (!stats.isDirectory()) return stats.mtimeMs;
	// A deleted file only shows in its directory's own time.
	return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestChange(join(path, entry))), stats.mtimeMs);
}

function capture(child: ChildProcess) {
	let text = '';
	const waiters = new Set<() => void>();
	const append = (chunk: Buffer) => {
		text += chunk.toString();
		for (const wake of waiters) wake();
	};
	child.stdout?.on('data', append);
	child.stderr?.on('data', append);
	return {
		waitFor(pattern: RegExp): Promise<string> {
			return new Promise((done) => {
				const check = () => {
					const match = pattern.exec(text);
					if (!match) return;
					waiters.delete(check);
					done(match[0]);
				};
				waiters.add(check);
				check();
			});
		},
		tail(lines: number): string {
			return text.split('\n').slice(-lines).join('\n');
		},
	};
}

function timeout(ms: number, message: string): Promise<never> {
	return new Promise((_, fail) => setTimeout(() => fail(new Error(message)), ms).unref());
}

function homeAccounts(home: string): Account[] {
	const file = JSON.parse(readFileSync(join(home, 'accounts.json'), 'utf8')) as { accounts: Account[] };
	return file.accounts;
}

function externalAccounts(): Account[] {
	if (process.env.E2E_ACCOUNTS) return JSON.parse(process.env.E2E_ACCOUNTS) as Account[];
	const home = process.env.EVENTLOOM_HOME;
	if (home && existsSync(join(home, 'accounts.json'))) return homeAccounts(home);
	return stubAccounts.map((account) => ({ ...account }));
}
