import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.ts';

/** What the group needs of a leased loop: whether it holds its lease, and a way to give it up. */
export interface GroupMember {
  readonly holding: boolean;
  handOver(): void;
}

export interface WorkerGroupOptions {
  /** How long a process stays a member after its last refresh (default 3 s). */
  ttlMs?: number;
  /** How often a process refreshes its membership (default 1 s). */
  refreshMs?: number;
  /** How often a process compares what it holds with its fair share (default 5 s). */
  rebalanceMs?: number;
  log: Logger;
}

// One round trip on Redis's own clock (no two processes' clocks are compared): renew
// this member, drop the expired ones, and answer who is left.
const refreshScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], 86400000)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

/**
 * The worker processes of one store, as Redis sees them: each refreshes its membership
 * every second and drops out three seconds after its last refresh. A group does two things.
 *
 * **Takeover without waiting for a lease to expire.** A blob lease lasts at least 15 s;
 * a standby that finds a lease held by a process that is no longer a member breaks it at
 * once. "No longer a member" must hold in two membership views at least two refreshes
 * apart, so a Redis that restarted without its data (every member gone for a moment,
 * back within a refresh) breaks nothing; and the break is conditional on the blob not
 * having changed since (a new holder names itself on it). A holder that was only slow is
 * fenced: its lease id no longer writes.
 *
 * **Fair shares.** Every process runs the same loops; each takes a free lease only while
 * it holds fewer than its share (the loops divided by the members, rounded up), and one
 * that holds more than its share for two rebalance rounds in a row hands the surplus
 * over: saved, released, and left for a process under its share. Membership that does not
 * change moves nothing.
 *
 * Without Redis there is one process: no group, and leases change hands by expiry only.
 */
export class WorkerGroup {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly redis: Redis;
  private readonly key: string;
  private readonly ttlMs: number;
  private readonly refreshMs: number;
  private readonly rebalanceMs: number;
  private readonly log: Logger;
  private readonly members = new Set<GroupMember>();
  private view: { ids: Set<string>; round: number; at: number } | undefined;
  private round = 0;
  private readonly suspects = new Map<string, { round: number; at: number }>();
  private overShare = 0;
  private timers: NodeJS.Timeout[] = [];

  constructor(bus: Bus, options: WorkerGroupOptions) {
    if (!bus.redis) throw new Error('a worker group needs Redis');
    this.redis = bus.redis;
    this.key = bus.key('eventloom:workers');
    this.ttlMs = options.ttlMs ?? 3_000;
    this.refreshMs = options.refreshMs ?? 1_000;
    this.rebalanceMs = options.rebalanceMs ?? 5_000;
    this.log = options.log;
  }

  /** How often a standby should look at a lease whose holder may be gone. */
  get pollMs(): number {
    return this.refreshMs;
  }

  async start(): Promise<void> {
    await this.refresh();
    const refresh = setInterval(() => void this.refresh(), this.refreshMs);
    const rebalance = setInterval(() => this.rebalance(), this.rebalanceMs);
    refresh.unref();
    rebalance.unref();
    this.timers = [refresh, rebalance];
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.redis.zrem(this.key, this.id).catch(() => undefined);
  }

  join(member: GroupMember): void {
    this.members.add(member);
  }

  /** A loop that stopped for good (a webhook subscription deleted) no longer counts towards the shares. */
  leave(member: GroupMember): void {
    this.members.delete(member);
  }

  /** The loops of this process that share leases through the group. */
  get joined(): number {
    return this.members.size;
  }

  /** Live members, this one included; 1 while no view is current. */
  get size(): number {
    return this.current() ? Math.max(1, this.view!.ids.size) : 1;
  }

  /** The leases this process should hold: its loops divided by the members, rounded up. */
  get share(): number {
    return Math.ceil(this.members.size / this.size);
  }

  get held(): number {
    let held = 0;
    for (const member of this.members) if (member.holding) held++;
    return held;
  }

  /** May this process take one more free lease now? */
  wantsMore(): boolean {
    return this.held < this.share;
  }

  /**
   * What the membership says of a lease's holder: `present`; `missing` (first seen
   * missing: look again soon); `gone` once missing in two views at least two refreshes
   * apart, the latter current. Never `gone` while Redis cannot be read: absence is only
   * believed when it can be seen.
   */
  lookAt(holder: string): 'present' | 'missing' | 'gone' {
    if (!this.current() || this.view!.ids.has(holder) || holder === this.id) {
      this.suspects.delete(holder);
      return 'present';
    }
    const suspect = this.suspects.get(holder);
    if (!suspect) {
      this.suspects.set(holder, { round: this.view!.round, at: performance.now() });
      return 'missing';
    }
    return this.view!.round >= suspect.round + 2 && performance.now() - suspect.at >= 2 * this.refreshMs ? 'gone' : 'missing';
  }

  private current(): boolean {
    return this.view !== undefined && performance.now() - this.view.at < 2 * this.refreshMs + 500;
  }

  private async refresh(): Promise<void> {
    try {
      const ids = (await this.redis.eval(refreshScript, 1, this.key, this.id, this.ttlMs)) as string[];
      this.view = { ids: new Set(ids), round: ++this.round, at: performance.now() };
      if (this.suspects.size > 100) this.suspects.clear();
    } catch (error) {
      this.log.debug({ err: (error as Error).message }, 'worker group: membership not refreshed');
    }
  }

  private rebalance(): void {
    const surplus = this.held - this.share;
    this.overShare = surplus > 0 && this.current() ? this.overShare + 1 : 0;
    if (this.overShare < 2) return;
    this.overShare = 0;
    this.log.info({ members: this.size, share: this.share, held: this.held }, 'worker group: handing over leases beyond this worker’s share');
    let left = surplus;
    for (const member of [...this.members].reverse()) {
      if (left === 0) break;
      if (!member.holding) continue;
      member.handOver();
      left--;
    }
  }
}
