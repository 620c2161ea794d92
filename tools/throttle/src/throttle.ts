import { azuriteConnectionString } from '@eventloom/core';
import { connectionStringThrough, startHttpFaultProxy, storageTarget, type HttpFault, type HttpFaultProxy } from '@eventloom/core/testing/faults';
import { azureTargets, Limits, type Verdict } from './limits.ts';
import { costOf } from './requests.ts';

export interface ThrottleOptions {
  /** The Table service to protect: `{ host, port }`, a URL, or a connection string (its TableEndpoint). Loopback only. */
  target: { host: string; port: number } | string;
  /** Entities per second per table partition (Azure: 2,000). */
  partitionRate?: number;
  /** Entities per second for the account (Azure: 20,000). */
  accountRate?: number;
  /** 0 or omitted picks a free port; the proxy listens on 127.0.0.1 only. */
  port?: number;
  /** Milliseconds, monotonic (tests). */
  clock?: () => number;
}

export interface ThrottleStats {
  passed: number;
  refused: number;
  refusedByPartition: number;
  refusedByAccount: number;
  /** Partitions the limiter remembers now (bounded: idle ones are forgotten). */
  trackedPartitions: number;
  /** Per table: entities admitted and requests refused (requests that name no table are not listed). */
  tables: Record<string, { entities: number; refused: number }>;
}

export interface Throttle {
  readonly port: number;
  /** `http://127.0.0.1:PORT` + path. */
  url(path?: string): string;
  /**
   * A connection string whose TableEndpoint goes through the throttle: `base` with its
   * TableEndpoint replaced, or Azurite's development account with the Blob endpoint at
   * `blobPort` (default 10000) when no base is given.
   */
  connectionString(base?: string, blobPort?: number): string;
  stats(): ThrottleStats;
  close(): Promise<void>;
}

// Azure's texts for the two limits (Storage REST API, common error codes: ServerBusy).
const refusals: Record<'partition' | 'account', HttpFault> = {
  partition: { kind: 'error-before', status: 503, code: 'ServerBusy', message: 'The server is currently unable to receive requests. Please retry your request.' },
  account: { kind: 'error-before', status: 503, code: 'ServerBusy', message: 'Operations per second is over the account limit.' },
};

/**
 * A proxy in front of Azurite's Table service that refuses what a real account would:
 * requests past Azure's per-partition or per-account targets get 503 ServerBusy before
 * reaching Azurite, so nothing of theirs is applied. Everything else passes untouched.
 */
export async function startThrottle(options: ThrottleOptions): Promise<Throttle> {
  const target = targetOf(options.target);
  assertLoopback(target.host);
  const limits = new Limits({
    partitionRate: options.partitionRate ?? azureTargets.partitionRate,
    accountRate: options.accountRate ?? azureTargets.accountRate,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const counts = { passed: 0, refusedByPartition: 0, refusedByAccount: 0 };
  const tables = new Map<string, { entities: number; refused: number }>();
  const tallyOf = (name: string) => {
    let tally = tables.get(name);
    if (!tally) tables.set(name, (tally = { entities: 0, refused: 0 }));
    return tally;
  };
  const proxy: HttpFaultProxy = await startHttpFaultProxy({
    target,
    service: 'table',
    ...(options.port ? { port: options.port } : {}),
    decide: (request): HttpFault => {
      const cost = costOf(request);
      const verdict: Verdict = limits.admit(cost);
      const table = cost.partition ? tallyOf(cost.partition.table) : undefined;
      if (verdict.admitted) {
        counts.passed++;
        if (table) table.entities += cost.entities;
        return { kind: 'pass' };
      }
      if (table) table.refused++;
      if (verdict.limit === 'partition') counts.refusedByPartition++;
      else counts.refusedByAccount++;
      return refusals[verdict.limit];
    },
  });
  return {
    port: proxy.port,
    url: (path) => proxy.url(path),
    connectionString: (base, blobPort = 10_000) =>
      connectionStringThrough(base ?? azuriteConnectionString(blobPort, target.port, target.host), { table: proxy }),
    stats: () => ({ ...counts, refused: counts.refusedByPartition + counts.refusedByAccount, trackedPartitions: limits.trackedPartitions, tables: Object.fromEntries([...tables].map(([name, t]) => [name, { ...t }])) }),
    close: () => proxy.close(),
  };
}

function targetOf(target: ThrottleOptions['target']): { host: string; port: number } {
  if (typeof target !== 'string') return target;
  if (target.includes('TableEndpoint=')) return storageTarget(target, 'table');
  const url = new URL(target);
  if (url.protocol !== 'http:') throw new Error(`the throttle forwards plain HTTP to Azurite, not ${url.protocol} (${target})`);
  return { host: url.hostname, port: Number(url.port || 80) };
}

/** The throttle is for Azurite on this machine: it never forwards to another host. */
export function assertLoopback(host: string): void {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)) return;
  throw new Error(`refusing ${host}: the throttle fronts a Table service on this machine only (127.0.0.1, ::1, localhost)`);
}
