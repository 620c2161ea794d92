import type { Logger } from 'pino';
import type { Bus } from './bus/bus.ts';
import type { CoreConfig } from './config.ts';
import type { ContextRuntime } from './context/context-runtime.ts';
import type { ContextDefinition } from './context/define-context.ts';
import type { Storage } from './store/storage.ts';

export interface RuntimeOptions {
  contexts: ContextDefinition[];
  /** Defaults to `loadCoreConfig()`. */
  config?: CoreConfig;
  logger?: Logger;
  /** Run relays and projections in this process (default true). A gateway-only process sets false. */
  workers?: boolean;
  /** Use this bus instead of connecting to Redis (tests). */
  bus?: Bus;
}

export interface ProjectionStats {
  name: string;
  checkpoint: number;
  lag: number;
  state: 'live' | 'catching-up' | 'standby' | 'failed';
  deadLetters: number;
  /** The last error of its worker, while it keeps failing. */
  error?: string;
}

export interface ContextStats {
  name: string;
  feedHead: number;
  relayLag: number;
  projections: ProjectionStats[];
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

export interface Runtime {
  readonly mode: 'redis' | 'single-process';
  readonly bus: Bus;
  readonly log: Logger;
  readonly contexts: ReadonlyMap<string, ContextRuntime>;
  /** The storage account, for platform tables (consumer keys, webhooks) beside the contexts'. */
  readonly storage: Storage;
  /** Whether this process runs relays and projections. */
  readonly workers: boolean;
  context(name: string): ContextRuntime;
  health(): Promise<Health>;
  stats(): Promise<ContextStats[]>;
  counters(): RuntimeCounters;
  /** Runs each context's `seed` once per store (claimed with a blob, so two processes never both seed). */
  seed(): Promise<string[]>;
  close(): Promise<void>;
}
