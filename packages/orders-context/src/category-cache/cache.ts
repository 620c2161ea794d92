import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { channels, type Bus } from '@eventloom/core';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Category, CategoryTable } from './category-table.ts';
import { ChangeWatcher, type RowChange } from './watcher.ts';

/** Why keys were dropped: a write through the API, a change the watcher saw in the table. */
export type InvalidationCause = 'api' | 'table-change' | 'view-update';

export interface Invalidation {
  at: string;
  keys: string[];
  cause: InvalidationCause;
  /** `local`: decided in this process; `bus`: heard from another process. */
  source: 'local' | 'bus';
  /** For `bus`: how long the notice took from the deciding process to this one (ms). */
  latencyMs?: number;
}

export interface CacheStats {
  /** `memory+redis` (L1 + L2) or `memory` (single-process mode, no Redis). */
  levels: 'memory+redis' | 'memory';
  hits: { l1: number; l2: number };
  misses: number;
  /** Hits the watcher's newer snapshot showed to be stale, read again from the table. */
  staleHits: number;
  invalidations: number;
  lastInvalidation: Invalidation | null;
  watcher: { intervalMs: number; polls: number; lastPollAt: string | null; rows: number; error: string | null };
}

/** What travels on the bus (`channels.cacheInvalidate`). */
interface InvalidationMessage {
  cache: string;
  keys: string[];
  cause: InvalidationCause;
  origin: string;
  /** When the sender dropped the keys (ms since epoch). */
  at: number;
}

interface CachedList {
  at: number;
  items: Category[];
  etags: Record<string, string>;
}

interface CachedOne {
  at: number;
  item: Category | null;
  etag: string | null;
}

export const listKey = 'categories';
/** Categories kept in front of L1 (bentocache's L1 keeps as many). */
const frontLimit = 10_000;
export const categoryKey = (id: number | string) => `category:${id}`;

export interface CategoryCacheOptions {
  table: CategoryTable;
  bus: Bus;
  log: Logger;
  /** Redis for the L2 level; omit for memory only. */
  redisUrl?: string;
  /** Names this cache's keys in Redis and on the bus (one per store). */
  namespace: string;
  watchIntervalMs: number;
  ttlSeconds: number;
}

/**
 * Categories through two levels — memory (L1), then Redis (L2) — in front of the
 * `Categories` table. Kept fresh two ways: a write through the API drops the keys
 * here and tells every other process on the bus; the change watcher notices any
 * other change to the table (a storage explorer edit) within one poll, drops those
 * keys and tells the others too. A hit older than the watcher's last look at a row
 * that has changed since is read again, so a value cached in a race with an edit
 * does not outlive the next poll.
 */
export class CategoryCache {
  private readonly options: CategoryCacheOptions;
  private readonly bento: BentoCache<{ categories: ReturnType<typeof bentostore> }>;
  private readonly redis: Redis | undefined;
  private readonly busRedis: Redis | undefined;
  private readonly watcher: ChangeWatcher;
  private readonly origin = randomUUID();
  private readonly invalidatedAt = new Map<string, number>();
  private readonly counts = { l1: 0, l2: 0, misses: 0, staleHits: 0, invalidations: 0 };
  private lastInvalidation: Invalidation | null = null;
  /**
   * The last value of each category read here, in front of bentocache's L1: a hit is one
   * map lookup instead of its read path. Emptied by every invalidation this process
   * hears (its own, the core bus's, bentocache's bus), and a read that an invalidation
   * overtook does not fill it (`generation`), so it never holds what L1 has dropped.
   */
  private readonly front = new Map<string, { value: CachedOne; until: number }>();
  private generation = 0;
  private started: Promise<void> | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(options: CategoryCacheOptions) {
    this.options = options;
    const emitter = new EventEmitter();
    emitter.on('cache:hit', (event: { layer?: 'l1' | 'l2' }) => {
      if (event.layer === 'l2') this.counts.l2++;
      else this.counts.l1++;
    });
    // Another process dropped or rewrote keys: bentocache drops its L1 copies right after this.
    emitter.on('bus:message:received', () => this.forgetFront());
    let store = bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 }));
    if (options.redisUrl) {
      this.redis = new Redis(options.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1000 });
      this.redis.on('error', (error) => options.log.debug({ err: error.message }, 'category cache: redis connection error'));
      // Bentocache's own bus keeps the other processes' L1 in step with L2 (it drops
      // their L1 copy of a deleted or rewritten key, and leaves L2 to the writer).
      // The bus duplicates its connection (publisher, subscriber); it queues while connecting.
      this.busRedis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: 1000 });
      store = store.useL2Layer(redisDriver({ connection: this.redis })).useBus(redisBusDriver({ connection: this.busRedis }));
    }
    this.bento = new BentoCache({
      default: 'categories',
      prefix: options.namespace,
      stores: { categories: store },
      emitter,
      ttl: `${options.ttlSeconds}s`,
      // A stale category is worse than a table read: no grace period.
      grace: false,
      // Redis away: fall back to the table, and stop asking Redis for a while.
      suppressL2Errors: true,
      l2CircuitBreakerDuration: '5s',
    });
    this.watcher = new ChangeWatcher({
      table: options.table,
      intervalMs: options.watchIntervalMs,
      log: options.log,
      onChange: (changes, previousPollAt) => this.onTableChange(changes, previousPollAt),
    });
  }

  get levels(): CacheStats['levels'] {
    return this.redis ? 'memory+redis' : 'memory';
  }

  /** Subscribes to the bus and takes the watcher's first snapshot (once; every read awaits it). */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.unsubscribe = await this.options.bus.subscribe(channels.cacheInvalidate, (message) => void this.onMessage(message as InvalidationMessage));
      // An L2 delete sent before the connection is up would be dropped (suppressed), and
      // other processes would then refill their L1 from a stale L2: wait for it, briefly.
      await Promise.all([this.watcher.start(), this.redisReady(2_000)]);
    })();
    return this.started;
  }

  async list(): Promise<Category[]> {
    await this.start();
    const read = (forceFresh: boolean) =>
      this.bento.getOrSet<CachedList>({
        key: listKey,
        forceFresh,
        factory: async () => {
          this.counts.misses++;
          return { at: Date.now(), ...(await this.options.table.list()) };
        },
      });
    let value = await read(false);
    if (this.listIsStale(value)) {
      this.counts.staleHits++;
      value = await read(true);
    }
    return value.items;
  }

  async get(id: number): Promise<Category | null> {
    await this.start();
    const key = categoryKey(id);
    const read = async (forceFresh: boolean) => {
      const generation = this.generation;
      const value = await this.bento.getOrSet<CachedOne>({
        key,
        forceFresh,
        factory: async () => {
          this.counts.misses++;
          return { at: Date.now(), ...(await this.options.table.get(id)) };
        },
      });
      if (generation === this.generation) this.remember(key, value);
      return value;
    };
    const front = this.front.get(key);
    let value: CachedOne;
    if (front && front.until > Date.now()) {
      this.counts.l1++;
      value = front.value;
    } else value = await read(false);
    const seen = this.watcher.snapshot;
    if (seen && seen.at > value.at && (seen.versions.get(String(id))?.etag ?? null) !== value.etag) {
      this.counts.staleHits++;
      this.front.delete(key);
      value = await read(true);
    }
    return value.item;
  }

  private remember(key: string, value: CachedOne): void {
    const until = value.at + this.options.ttlSeconds * 1000;
    if (until <= Date.now()) return;
    this.front.delete(key);
    this.front.set(key, { value, until });
    // As many as bentocache's L1 keeps; the oldest read goes first.
    if (this.front.size > frontLimit) this.front.delete(this.front.keys().next().value as string);
  }

  private forgetFront(): void {
    this.generation++;
    this.front.clear();
  }

  /** The keys a change to these categories makes stale. */
  keysFor(ids: (number | string)[]): string[] {
    return [listKey, ...ids.map(categoryKey)];
  }

  /**
   * Drops keys here (L1 and L2); bentocache's bus drops them from every other
   * process's L1. A notice on the core bus tells the others why (for their stats,
   * and so their watchers do not count the same change again).
   */
  async invalidate(keys: string[], cause: InvalidationCause): Promise<void> {
    await this.start();
    const at = Date.now();
    this.record(keys, cause, 'local');
    this.forgetFront();
    await this.bento.deleteMany({ keys });
    // A read that began while L1 still held the keys must not put them back in front.
    this.forgetFront();
    const message: InvalidationMessage = { cache: this.options.namespace, keys, cause, origin: this.origin, at };
    await this.options.bus.publish(channels.cacheInvalidate, message);
  }

  /** Compares the table now instead of waiting for the next tick. */
  async pollNow(): Promise<void> {
    await this.start();
    await this.watcher.poll();
  }

  stats(): CacheStats {
    const snapshot = this.watcher.snapshot;
    return {
      levels: this.levels,
      hits: { l1: this.counts.l1, l2: this.counts.l2 },
      misses: this.counts.misses,
      staleHits: this.counts.staleHits,
      invalidations: this.counts.invalidations,
      lastInvalidation: this.lastInvalidation,
      watcher: {
        intervalMs: this.watcher.interval,
        polls: this.watcher.polls,
        lastPollAt: snapshot ? new Date(snapshot.at).toISOString() : null,
        rows: snapshot?.versions.size ?? 0,
        error: this.watcher.lastError ?? null,
      },
    };
  }

  async close(): Promise<void> {
    await this.watcher.stop();
    await this.started?.catch(() => undefined);
    await this.unsubscribe?.();
    await this.bento.disconnectAll().catch(() => undefined);
    this.redis?.disconnect();
    this.busRedis?.disconnect();
  }

  private async redisReady(timeoutMs: number): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      redis.once('ready', done);
    });
  }

  private listIsStale(value: CachedList): boolean {
    const seen = this.watcher.snapshot;
    if (!seen || seen.at <= value.at) return false;
    if (seen.versions.size !== Object.keys(value.etags).length) return true;
    for (const [id, version] of seen.versions) if (value.etags[id] !== version.etag) return true;
    return false;
  }

  private async onTableChange(changes: RowChange[], previousPollAt: number): Promise<void> {
    // A projection write the API already invalidated for needs nothing more; a hand
    // edit (the row changed but not its seq) always does.
    const fresh = changes.filter((change) => {
      const handled = (this.invalidatedAt.get(categoryKey(change.id)) ?? 0) >= previousPollAt;
      return !handled || (change.kind === 'changed' && !change.byProjection);
    });
    if (fresh.length === 0) return;
    const cause: InvalidationCause = fresh.every((c) => c.byProjection) ? 'view-update' : 'table-change';
    this.options.log.info({ changes: fresh, cause }, 'category table changed');
    await this.invalidate(this.keysFor(fresh.map((c) => c.id)), cause);
  }

  private async onMessage(message: InvalidationMessage): Promise<void> {
    if (message?.cache !== this.options.namespace || message.origin === this.origin || !Array.isArray(message.keys)) return;
    this.record(message.keys, message.cause, 'bus', typeof message.at === 'number' ? Math.max(0, Date.now() - message.at) : undefined);
    this.forgetFront();
    // With Redis, bentocache's bus drops the L1 copies (and leaves the writer's fresh
    // L2 alone); without it, only caches sharing this process's bus hear the notice.
    if (!this.redis) {
      await this.bento.deleteMany({ keys: message.keys });
      this.forgetFront();
    }
  }

  private record(keys: string[], cause: InvalidationCause, source: Invalidation['source'], latencyMs?: number): void {
    const now = Date.now();
    for (const key of keys) this.invalidatedAt.set(key, now);
    this.counts.invalidations++;
    this.lastInvalidation = { at: new Date(now).toISOString(), keys, cause, source, ...(latencyMs !== undefined ? { latencyMs } : {}) };
  }
}
