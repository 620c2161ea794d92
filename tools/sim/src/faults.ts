import type { HttpFault, ProxiedRequest } from '@eventloom/core/testing/faults';
import { feedLeases } from './ledger-feed.ts';
import { draw, type Random } from './random.ts';

/** How rough a run is: drawn once per seed. */
export interface FaultProfile {
  name: 'calm' | 'noisy' | 'stormy';
  /** Share of storage requests that meet a fault. */
  storageRate: number;
  /** Share of write faults that strike after the write committed (the answer is lost). */
  afterShare: number;
  /** Share of requests that are merely slow (50-1,500 ms). */
  slowRate: number;
  /** Share of requests held for 5-12 s (a stalled process or network). */
  stallRate: number;
}

const profiles: FaultProfile[] = [
  { name: 'calm', storageRate: 0.005, afterShare: 0.5, slowRate: 0.01, stallRate: 0.0005 },
  { name: 'noisy', storageRate: 0.03, afterShare: 0.5, slowRate: 0.03, stallRate: 0.001 },
  { name: 'stormy', storageRate: 0.08, afterShare: 0.5, slowRate: 0.05, stallRate: 0.002 },
];

export function drawProfile(random: Random): FaultProfile {
  return random.pick(profiles);
}

const writes = new Set(['POST', 'PUT', 'MERGE', 'PATCH', 'DELETE']);

/**
 * Decides each storage request's fault from the seed, the process and the request
 * itself (method, path, and how many times this process sent that method and path
 * before), so a replay of the seed meets the same faults at the same requests however
 * the requests interleave.
 */
export class StorageFaults {
  private readonly seed: number;
  private readonly process: string;
  private readonly profile: FaultProfile;
  private readonly seen = new Map<string, number>();
  /** Faults are off outside the active phase (setup, and after the heal). */
  on: () => boolean;
  /** Told of each fault (for the trace). */
  onFault: ((request: ProxiedRequest, fault: HttpFault) => void) | undefined;
  /** While paused (a process frozen by GC or a hypervisor), every request waits until this moment. */
  pausedUntil = 0;
  /** Pauses that start at this process's next view write: frozen in the middle of a flush. */
  private armed: { ms: number; started: () => void }[] = [];

  /** Freezes the process at its next view write (or after `latestMs` anyway), and says when. */
  pauseAtNextViewWrite(ms: number, latestMs: number, started: () => void): void {
    this.armed.push({ ms, started });
    setTimeout(() => this.startPause(), latestMs).unref();
  }

  private startPause(): void {
    const armed = this.armed;
    this.armed = [];
    for (const { ms, started } of armed) {
      this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
      started();
    }
  }

  constructor(seed: number, process: string, profile: FaultProfile, on: () => boolean) {
    this.seed = seed;
    this.process = process;
    this.profile = profile;
    this.on = on;
  }

  decide(request: ProxiedRequest): HttpFault {
    const path = request.url.split('?')[0] ?? '';
    const signature = `${request.method} ${path}`;
    const n = (this.seen.get(signature) ?? 0) + 1;
    this.seen.set(signature, n);
    if (this.seen.size > 20_000) this.seen.clear();
    if (this.armed.length > 0 && writes.has(request.method) && /View[A-Za-z]/.test(path)) this.startPause();
    const paused = this.pausedUntil - performance.now();
    if (!this.on()) return paused > 0 ? { kind: 'delay', ms: paused } : { kind: 'pass' };
    const roll = (what: string) => draw(this.seed, this.process, signature, n, what);
    const chosen = this.choose(request, roll);
    const fault: HttpFault = paused > 0 ? { kind: 'delay', ms: paused, then: chosen } : chosen;
    if (fault.kind !== 'pass') this.onFault?.(request, fault);
    return fault;
  }

  private choose(request: ProxiedRequest, roll: (what: string) => number): HttpFault {
    const { storageRate, afterShare, slowRate, stallRate } = this.profile;
    if (roll('stall') < stallRate) return { kind: 'delay', ms: 5000 + Math.floor(roll('stall-ms') * 7000) };
    if (roll('slow') < slowRate) return { kind: 'delay', ms: 50 + Math.floor(roll('slow-ms') * 1450) };
    if (roll('fault') >= storageRate) return { kind: 'pass' };
    const kind = roll('kind');
    if (writes.has(request.method) && roll('after') < afterShare) {
      return kind < 0.7 ? { kind: 'reset-after' } : { kind: 'error-after', status: kind < 0.85 ? 500 : 503 };
    }
    if (kind < 0.35) return { kind: 'error-before', status: 503, code: 'ServerBusy' };
    if (kind < 0.55) return { kind: 'error-before', status: 500 };
    if (kind < 0.85) return { kind: 'reset-before' };
    return { kind: 'timeout-before', ms: 1000 + Math.floor(roll('timeout-ms') * 3000) };
  }
}

/** Something that happens to the whole system at a moment of the active phase. */
export type Disruption =
  | { at: number; kind: 'kill'; role: 'gateway' | 'worker' }
  /** A worker freezes in the middle of writing views (its requests wait, Redis hears nothing) while its leases are taken over; then it goes on. */
  | { at: number; kind: 'pause'; ms: number }
  | { at: number; kind: 'steal-lease'; lease: string }
  | { at: number; kind: 'redis'; mode: 'down' | 'hung'; ms: number }
  | { at: number; kind: 'redis-restart'; data: 'kept' | 'lost' | 'old' }
  /** Redis's data as it is now, for a later restart that comes back with old data. */
  | { at: number; kind: 'redis-snapshot' }
  /** A process starts while Redis does not answer it: it runs on the in-process bus from then on; a feed lease (default `relay`) is moved onto it and away. */
  | { at: number; kind: 'isolated'; role: 'gateway' | 'worker'; lease?: string }
  | { at: number; kind: 'rebuild'; projection: string; then: 'finish' | 'cancel' | 'crash' }
  | { at: number; kind: 'skew'; ms: number };

/** The run's disruptions, in time order. With one feed partition, the draws are those of the unpartitioned simulator. */
export function drawDisruptions(random: Random, activeMs: number, profile: FaultProfile, partitions = 1): Disruption[] {
  const at = () => random.int(500, activeMs - 500);
  const list: Disruption[] = [];
  const scale = profile.name === 'calm' ? 1 : profile.name === 'noisy' ? 2 : 3;
  const feed = feedLeases(partitions);
  for (let i = random.int(0, scale); i > 0; i--) list.push({ at: at(), kind: 'kill', role: random.chance(0.6) ? 'worker' : 'gateway' });
  for (let i = random.int(0, scale); i > 0; i--) list.push({ at: at(), kind: 'pause', ms: random.int(5000, 11000) });
  // `balances` runs per partition: each partition's runner has its lease.
  const balances = Array.from({ length: partitions }, (_, p) => (p === 0 ? 'projection-balances' : `projection-balances~p${p}`));
  for (let i = random.int(0, scale); i > 0; i--) list.push({ at: at(), kind: 'steal-lease', lease: random.pick([...feed, ...balances, 'projection-audit', 'projection-payments']) });
  for (let i = random.int(0, scale); i > 0; i--) {
    const kind = random.weighted({ down: 3, hung: 3, restart: 4 });
    if (kind === 'restart') {
      const data = random.pick(['kept', 'lost', 'old'] as const);
      const when = at();
      if (data === 'old') list.push({ at: random.int(0, when), kind: 'redis-snapshot' });
      list.push({ at: when, kind: 'redis-restart', data });
    }
    else list.push({ at: at(), kind: 'redis', mode: kind, ms: random.int(500, 4000) });
  }
  if (random.chance(0.6)) list.push({ at: at(), kind: 'rebuild', projection: random.pick(['balances', 'audit', 'payments']), then: random.pick(['finish', 'finish', 'cancel', 'crash'] as const) });
  if (random.chance(0.3)) list.push({ at: at(), kind: 'skew', ms: random.pick([-1, 1]) * random.int(5_000, 120_000) });
  if (random.chance(0.4)) {
    // A worker that starts while Redis does not answer it, then the relay's lease moves
    // (it may land there), then moves again (to a worker on Redis: another log).
    const when = at();
    const role = random.chance(0.8) ? 'worker' : 'gateway';
    const lease = partitions === 1 ? 'relay' : random.pick(feed);
    list.push({ at: when, kind: 'isolated', role, ...(lease !== 'relay' ? { lease } : {}) });
    if (random.chance(0.7)) list.push({ at: when + random.int(500, 3000), kind: 'steal-lease', lease });
    if (random.chance(0.5)) list.push({ at: when + random.int(4000, 9000), kind: 'steal-lease', lease });
  }
  return list.sort((a, b) => a.at - b.at);
}
