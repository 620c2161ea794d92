/**
 * The bus carries signals, never the only copy of data: wake-ups, command
 * completion, view-change notices and cache invalidations. Anything sent on it
 * can be recomputed from the store, so a lost message costs latency, not data.
 */
export type BusHandler = (message: unknown) => void;

export interface Bus extends Memo, CommitLog {
  /** `redis` when messages cross processes, `memory` in single-process mode. */
  readonly kind: 'redis' | 'memory';
  /** The Redis connection commands go through, where there is one (for limiters and caches beside the bus). */
  readonly redis?: import('ioredis').Redis;
  /**
   * A Redis key or channel name under this runtime's namespace: runtimes of one store share
   * it, runtimes of other stores on the same Redis never see it.
   */
  key(name: string): string;
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Channel names, in one place so publishers and subscribers agree. */
export const channels = {
  /** A commit happened in a context: wake its relay. */
  committed: (context: string) => `eventloom:${context}:committed`,
  /** The relay appended to a context's feed: wake its projections and feed readers. */
  feed: (context: string) => `eventloom:${context}:feed`,
  /** A partition's relay placed entries (partitioned feeds): wake the context's merger. */
  placed: (context: string) => `eventloom:${context}:placed`,
  /** A projection applied feed entries up to a seq and changed views. */
  viewChanged: (context: string) => `eventloom:${context}:view`,
  /** A rebuilt view generation was swapped in: readers refresh table names. */
  viewSwapped: (context: string) => `eventloom:${context}:swap`,
  /** Rebuild requests (to runners) and progress (to admins). */
  rebuild: (context: string) => `eventloom:${context}:rebuild`,
  /** Cache keys to drop. */
  cacheInvalidate: 'eventloom:cache:invalidate',
  /** The log of a context's commit hints (a Redis Stream), one per feed partition. */
  commitLog: (context: string, partition = 0) => (partition === 0 ? `eventloom:${context}:commits` : `eventloom:${context}:commits:p${partition}`),
} as const;

export interface LogEntry {
  id: string;
  message: unknown;
}

export interface LogRead {
  entries: LogEntry[];
  /** Changes when the log's storage was lost (Redis restarted without persistence). */
  epoch: string;
  /** The oldest id still held, when asked for: entries before it were trimmed. */
  first?: string;
}

/**
 * A bounded, ordered log beside the bus: writers append commit hints, the relay reads
 * them after its last position. It survives a relay restart (not a Redis one: the
 * epoch then changes and the relay falls back to reading the streams).
 */
export interface CommitLog {
  /** Appends, then publishes an empty wake-up on `wake` (one round trip on Redis). */
  appendLog(log: string, message: unknown, wake: string): Promise<void>;
  /** Entries after `after` (exclusive; from the start when undefined), oldest first. */
  readLog(log: string, after: string | undefined, count: number, withFirst?: boolean): Promise<LogRead>;
  /** The id of the newest entry (none when the log is empty), and the log's epoch. */
  logEnd(log: string): Promise<{ id?: string; epoch: string }>;
}

/** Orders log ids (`ms-seq`). */
export function compareLogIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}

/** Published on `channels.viewChanged(context)` by a projection after each applied batch. */
export interface ViewChange {
  context: string;
  projection: string;
  /** A partitioned projection's runner (its key, see runner-keys.ts) and feed partition: `seq` is then that partition's. */
  runner?: string;
  partition?: number;
  /** Highest feed seq whose effects are now visible in this projection's views. */
  seq: number;
  /** Streams touched in the batch, so listeners can filter. */
  streams: string[];
  /** Event ids applied in the batch (for command completion). */
  eventIds: string[];
}

/** Short-lived shared values (command status) next to the bus: Redis keys, or a map. */
export interface Memo {
  remember(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  recall<T>(key: string): Promise<T | undefined>;
}
