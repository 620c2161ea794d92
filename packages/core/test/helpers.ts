import type { TableClient } from '@azure/data-tables';
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

/** Every event row in a context's store (not idempotency, commit or bookkeeping rows), by stream, in version order. */
export async function storeEvents(storage: Storage, context = 'counter'): Promise<Map<string, EventColumns[]>> {
  const table: TableClient = await storage.table(context, 'Events');
  const streams = new Map<string, EventColumns[]>();
  for await (const row of table.listEntities<EventColumns>()) {
    // Plain events sit at their version; keyed events at `k|{key}` (their commit row lists them).
    if (!/^\d{10}$/.test(row.rowKey!) && !row.rowKey!.startsWith('k|')) continue;
    if ((row as { kind?: string }).kind === 'commit') continue;
    const list = streams.get(row.partitionKey!) ?? [];
    list.push(row);
    streams.set(row.partitionKey!, list);
  }
  for (const list of streams.values()) list.sort((a, b) => Number(a.v) - Number(b.v));
  return streams;
}

/** The whole feed, in seq order. */
export async function wholeFeed(feed: Feed): Promise<FeedColumns[]> {
  const rows: FeedColumns[] = [];
  for (;;) {
    const page = await feed.rowsAfter(rows.length ? Number(rows[rows.length - 1]!.seq) : 0, 1000);
    if (page.length === 0) return rows;
    rows.push(...page);
  }
}

export async function wholeFeedEntries(feed: Feed): Promise<FeedEntry[]> {
  return Promise.all((await wholeFeed(feed)).map((row) => feed.decode(row)));
}

export interface FeedCheck {
  storeCount: number;
  feedCount: number;
  /** Problems found; empty when the feed is exactly the store's events, once each, gapless, per-stream ordered. */
  problems: string[];
}

/**
 * Compares a feed with the store: every stored event appears exactly once, seqs are
 * 1..N without gaps, and within each stream the versions appear in order, 1, 2, 3...
 */
export function compareFeedWithStore(store: Map<string, EventColumns[]>, feed: FeedColumns[]): FeedCheck {
  const problems: string[] = [];
  const stored = new Map<string, EventColumns>();
  /** Each stream's versions in order: 1, 2, 3... for plain streams; commit × 100 + i for keyed ones. */
  const versions = new Map<string, number[]>();
  for (const [stream, rows] of store) {
    rows.forEach((row, i) => {
      if (row.p === undefined && Number(row.v) !== i + 1) problems.push(`store stream ${stream} has version ${row.v} at position ${i + 1}`);
      stored.set(row.id, row);
    });
    versions.set(stream, rows.map((row) => Number(row.v)));
  }
  const seen = new Map<string, number>();
  const placed = new Map<string, number>();
  feed.forEach((row, i) => {
    if (Number(row.seq) !== i + 1) problems.push(`feed position ${i + 1} holds seq ${row.seq}`);
    if (seen.has(row.id)) problems.push(`event ${row.id} (${row.s} v${row.v}) is in the feed twice: seq ${seen.get(row.id)} and ${row.seq}`);
    seen.set(row.id, Number(row.seq));
    const original = stored.get(row.id);
    if (!original) problems.push(`feed seq ${row.seq} holds event ${row.id} (${row.s} v${row.v}) that is not in the store`);
    else if (original.s !== row.s || Number(original.v) !== Number(row.v) || original.data !== row.data) problems.push(`feed seq ${row.seq} differs from the stored event`);
    const index = placed.get(row.s) ?? 0;
    const expected = versions.get(row.s)?.[index];
    if (Number(row.v) !== expected) problems.push(`stream ${row.s}: feed seq ${row.seq} holds v${row.v}, expected v${expected}`);
    placed.set(row.s, index + 1);
  });
  for (const id of stored.keys()) if (!seen.has(id)) problems.push(`stored event ${id} (${stored.get(id)!.s} v${stored.get(id)!.v}) is missing from the feed`);
  return { storeCount: stored.size, feedCount: feed.length, problems: problems.slice(0, 20) };
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
