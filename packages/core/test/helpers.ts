import counter from '../../counter-context/src/index.ts';
import type { Principal } from '../src/auth/principal.ts';
import type { CoreConfig } from '../src/config.ts';
import type { LocalContext } from '../src/context/local-context.ts';
import { createRuntime } from '../src/create-runtime.ts';
import type { FeedEntry } from '../src/events/envelope.ts';
import type { Feed, FeedColumns } from '../src/relay/feed.ts';
import type { EventColumns } from '../src/store/codec.ts';
import { Storage } from '../src/store/storage.ts';
import type { Runtime, RuntimeOptions } from '../src/runtime.ts';
import { startAzurite } from '../src/testing/azurite.ts';
import { testConfig } from '../src/testing/env.ts';
import { wholeFeed } from '../src/testing/feed-audit.ts';
import { afterAll } from 'vitest';

// Run through the root vitest config, the global setup provides one Azurite for the run.
// Run from the package (`pnpm --filter @eventloom/core exec vitest run test/`), there is
// none: this test file then starts an in-memory one of its own.
if (!process.env.AZURE_STORAGE_CONNECTION_STRING) {
  const azurite = await startAzurite({ inMemory: true });
  process.env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
  afterAll(() => azurite.stop());
}

export { counter };
export { compareFeedWithStore, storeEvents, wholeFeed, type FeedCheck } from '../src/testing/feed-audit.ts';

export const owner: Principal = { sub: 'owner.test', role: 'owner' };

/** A config on the run's Azurite and Redis with a fresh prefix, logging nothing. */
export function config(name: string, overrides: Partial<CoreConfig> = {}): CoreConfig {
  return testConfig({ name, LOG_LEVEL: 'silent', ...overrides });
}

export function storageOf(cfg: CoreConfig): Storage {
  return new Storage(cfg.AZURE_STORAGE_CONNECTION_STRING, cfg.EVENTLOOM_PREFIX);
}

export async function counterRuntime(cfg: CoreConfig, options: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  return createRuntime({ contexts: [counter], config: cfg, ...options });
}

/**
 * `perStream` increments on each of `streams` counters at once (`{tag}s{n}`), one command
 * at a time per counter; `by` of counter n is `by(n)` (1 unless told). Returns how many.
 */
export async function increments(runtime: Runtime, streams: number, perStream: number, tag = '', by: (stream: number) => number = () => 1): Promise<number> {
  const context = runtime.context('counter');
  let done = 0;
  await Promise.all(
    Array.from({ length: streams }, async (_, s) => {
      for (let i = 0; i < perStream; i++) {
        await context.execute('counter', 'increment', { id: `${tag}s${s}`, by: by(s) }, { principal: owner });
        done++;
      }
    }),
  );
  return done;
}

/** A feed row as a relay would place it (for tests that write a feed directly). */
export function feedRow(id: string, stream: string, version: number, seq: number): FeedColumns {
  const at = new Date().toISOString();
  return { id, type: 'Incremented', sv: 1, s: stream, v: version, at, who: 'x', cor: 'c', cau: 'c', seq, rat: at };
}

/** The LocalContext behind a runtime's context (the tests look at its store and feed). */
export function local(runtime: Runtime, name = 'counter'): LocalContext {
  return runtime.context(name) as LocalContext;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns true (or a truthy value); throws with `what` on timeout. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000, everyMs = 100): Promise<void> {
  const until = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await sleep(everyMs);
  }
}

export async function wholeFeedEntries(feed: Feed): Promise<FeedEntry[]> {
  return Promise.all((await wholeFeed(feed)).map((row) => feed.decode(row)));
}

/** What the Counters view must hold: the sum of Incremented.by per counter, from the store. */
export function countersFromStore(store: Map<string, EventColumns[]>): Map<string, number> {
  const sums = new Map<string, number>();
  for (const rows of store.values()) {
    for (const row of rows) {
      if (row.type !== 'Incremented') continue;
      const data = JSON.parse(row.data!) as { counterId: string; by: number };
      sums.set(data.counterId, (sums.get(data.counterId) ?? 0) + data.by);
    }
  }
  return sums;
}

/** The Counters view as a map id → value. */
export async function countersView(runtime: Runtime): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  let cursor: string | undefined;
  do {
    const page = await runtime.context('counter').views.query('Counters', { partitionKey: 'counter', limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const row of page.rows) values.set(String(row.rowKey), Number(row.value));
    cursor = page.cursor;
  } while (cursor);
  return values;
}

export function sorted(map: Map<string, number>): [string, number][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Closes runtimes even when a test failed half-way. */
export class Closer {
  private readonly items: (() => Promise<unknown>)[] = [];
  add<T extends { close(): Promise<unknown> }>(item: T): T {
    this.items.push(() => item.close());
    return item;
  }
  defer(fn: () => Promise<unknown>): void {
    this.items.push(fn);
  }
  async closeAll(): Promise<void> {
    const items = this.items.splice(0).reverse();
    for (const close of items) await close().catch(() => undefined);
  }
}
