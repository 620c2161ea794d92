import type { WorkerGroup } from './worker/group.ts';
import type { Logger } from 'pino';
import type { Bus } from './bus/bus.ts';
import type { CoreConfig } from './config.ts';
import type { ContextRuntime } from './context/context-runtime.ts';
import type { ContextDefinition } from './context/define-context.ts';
import type { Storage, StoreTuning } from './store/storage.ts';

/**
 * Timings of the runtime. Production uses the defaults; tests and the fault simulator
 * shorten them. The store's share (`StoreTuning`) must be the same in every process
 * of one store.
 */
export interface Tuning extends StoreTuning {
  /** How often a relay lists the pending markers. */
  relaySweepMs: number;
  /** How long an idle relay / projection waits for a wake-up before looking anyway. */
  relayIdleMs: number;
  projectionIdleMs: number;
  /** How often relays and projections save their position while events flow. */
  checkpointMs: number;
  /** Blob lease duration (Azure allows 15-60 s). */
  leaseSeconds: number;
  /** A Redis command that has not answered by then fails (a hung Redis must not hang the runtime). */
  redisCommandTimeoutMs: number;
  /** How often a process manager's sweep looks for due timers and unanswered steps (default 1 s). */
  processIdleMs?: number;
  /** How long a finished process instance's pending row stays unchanged before it goes (default 60 s). */
  processQuietMs?: number;
  /**
   * Work of a process overdue by this long (a timer, an unanswered step) is advanced by a
   * worker that does not hold its sweep too (default 2 s): a dead holder delays it by
   * about this, not by the lease's takeover.
   */
  processOverdueMs?: number;
  /** Waiting work not applied for this long marks a projection stalled in stats (default EVENTLOOM_STALL_AFTER_SECONDS, 30 s). */
  stallAfterMs?: number;
}

export interface RuntimeOptions {
  contexts: ContextDefinition[];
  /** Defaults to `loadCoreConfig()`. */
  config?: CoreConfig;
  logger?: Logger;
  /** Run relays and projections in this process (default true). A gateway-only process sets false. */
  workers?: boolean;
  /** Use this bus instead of connecting to Redis (tests). */
  bus?: Bus;
  tuning?: Partial<Tuning>;
  /**
   * The Redis namespace (default: from the storage account and prefix). Processes that
   * reach one store by different addresses (the fault simulator's proxies) set it alike.
   */
  busNamespace?: string;
  /** This process's wall clock (default Date.now); the fault simulator skews one. */
  clock?: () => number;
}

export interface ProjectionStats {
  name: string;
  checkpoint: number;
  /** Feed entries not applied yet. */
  lag: number;
  /** How long the oldest entry not applied yet has waited, in seconds (0 when caught up). */
  lagSeconds: number;
  /**
   * Behind, and its checkpoint has not moved while entries waited for `stallAfterMs`
   * (default 30 s): it has stopped applying, whatever its worker says.
   */
  stalled: boolean;
  state: 'live' | 'catching-up' | 'standby' | 'failed';
  deadLetters: number;
  /** The context whose feed it reads, when not its own. */
  source?: string;
  /** The last error of its worker, while it keeps failing. */
  error?: string;
  /** The worker process that holds it, as its worker group names it (`single-process` without Redis). */
  worker?: string;
  /**
   * A partitioned projection: each partition's runner (its checkpoint and lag in that
   * partition's seqs). The fields above then add them up, with the worst state.
   */
  partitions?: (Omit<ProjectionStats, 'name' | 'partitions' | 'source'> & { partition: number })[];
}

export interface ContextStats {
  name: string;
  feedHead: number;
  relayLag: number;
  /** The worker process that holds the relay (of partition 0, when partitioned). */
  relayWorker?: string;
  /** A partitioned feed: each partition's relay, and the merger's holder. */
  partitions?: PartitionStats[];
  mergerWorker?: string;
  projections: ProjectionStats[];
}

export interface PartitionStats {
  partition: number;
  /** That partition's own seq (the feed's seqs are the merged order's). */
  head: number;
  lagMs: number;
  worker?: string;
}

export interface Health {
  ok: boolean;
  storage: { ok: boolean; error?: string; latencyMs?: number };
  redis: { ok: boolean; mode: 'redis' | 'single-process'; error?: string };
}

/** Counts for /metrics. The gateway turns them into Prometheus series. */
export interface RuntimeCounters {
  appends: Record<string, number>;
  appendedEvents: Record<string, number>;
}

export interface RuntimeFootprint {
  relays: { context: string; partition: number; active: boolean; cursors: number; hints: number; checks: number; markersSeen: number }[];
  projections: { context: string; name: string; partition?: number; active: boolean; cachedRows: number; parked: number }[];
  /** Partitioned feeds' mergers. */
  mergers: { context: string; active: boolean; head: number }[];
}

export interface Runtime {
  readonly mode: 'redis' | 'single-process';
  readonly bus: Bus;
  readonly log: Logger;
  readonly contexts: ReadonlyMap<string, ContextRuntime>;
  /** The storage account, for platform tables (consumer keys, webhooks) beside the contexts'. */
  readonly storage: Storage;
  /** Whether this process runs relays and projections. */
  readonly workers: boolean;
  /**
   * The worker processes of this store that this one belongs to (with workers and Redis):
   * other leased loops of the process (webhook deliveries) join it to share their leases
   * fairly and be taken over at once when the process is gone.
   */
  readonly workerGroup?: WorkerGroup;
  context(name: string): ContextRuntime;
  health(): Promise<Health>;
  stats(): Promise<ContextStats[]>;
  counters(): RuntimeCounters;
  /** What this process's relays and runners hold in memory (sizes only). */
  footprint(): RuntimeFootprint;
  /** Runs each context's `seed` once per store (claimed with a blob, so two processes never both seed). */
  seed(): Promise<string[]>;
  close(): Promise<void>;
}
