import type { Backlog } from './backlog.ts';
import type { ToolError } from './clients.ts';
import type { LoopDelay } from './gateway-metrics.ts';
import type { HostileCount, Mismatch as HostileMismatch } from './hostile-log.ts';
import type { Settlement } from './settle.ts';
import type { Category, Incident, Latency } from './tally.ts';

/** Everything a run measured: what the summary prints, `--json` writes and the checks judge. */
export interface Figures {
  gateway: string;
  mode: string;
  clients: number;
  durationMs: number;
  requests: {
    total: number;
    perSecond: number;
    /** Share of the requests that were hostile, 0-1. */
    hostileShare: number;
    statuses: Record<string, number>;
  };
  latency: Partial<Record<Category, Latency>>;
  /** The probe's view of /health, and the storage ping inside it as the gateway timed it. */
  health: Latency & { failures: number; storagePing: Latency };
  /** The run in windows of 10 s: answers to the load, and /health as the probe saw it. */
  /** /health asked on the API port once a second (information: it waits in the accept queue with every client). */
  apiHealth?: Latency & { failures: number };
  timeline: { fromS: number; requests: number; health: Latency & { failures: number } }[];
  /** 429 answers per quota they named. */
  quotas: Record<string, number>;
  unavailable: number;
  networkErrors: Incident[];
  serverErrors: Incident[];
  hostile: { kinds: Record<string, HostileCount>; mismatchCount: number; mismatches: HostileMismatch[] };
  /** How the gateway process ended, when it did during the run; for --gateway, whether it still answered. */
  gatewayExit?: string;
  writes: { acknowledged: number; refused: number; unanswered: number };
  accounts: { checked: number; touched: number };
  settlement: Settlement;
  /** Percent of one core per process over the load. */
  cpu: Record<string, number>;
  /** The load generator's own event-loop delay, p99 ms: high means it, not the gateway, was the bottleneck. */
  generatorLoopDelayP99Ms: number;
  /** The gateway's event-loop delay over the load, from its /metrics. */
  gatewayLoopDelay?: LoopDelay;
  /** Connections waiting in the gateway's listen backlog during the load (Linux). */
  backlog?: Backlog;
  toolErrors: ToolError[];
  /** The machine: its cores and its 1-minute load average just before the load began (other work skews every figure). */
  machine: { cores: number; loadBefore: number };
}
