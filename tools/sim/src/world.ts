import { randomBytes } from 'node:crypto';
import { Storage, type Tuning } from '@eventloom/core';
import { Redis } from 'ioredis';
import { StorageFaults, type Disruption, type FaultProfile } from './faults.ts';
import { relayLease } from './ledger-feed.ts';
import { SimProcess, type ProcessSetting, type Role } from './process.ts';
import type { Random } from './random.ts';
import { sealingKey, type SealingKey } from './webhooks.ts';
import type { Trace } from './trace.ts';

/** Where the simulator runs: one Azurite and one Redis, reached directly. */
export interface SimEnvironment {
  connectionString: string;
  redisUrl: string;
}

/**
 * Short timings so a run takes seconds; the relations between them are the production
 * ones (the store checks what must hold). Leases stay at Azure's minimum of 15 s.
 */
export const simTuning: Partial<Tuning> = {
  relaySweepMs: 400,
  relayIdleMs: 200,
  projectionIdleMs: 300,
  checkpointMs: 500,
  leaseSeconds: 15,
  redisCommandTimeoutMs: 1000,
  markerFreshMs: 500,
  appendAttemptMs: 2000,
  markerRetireMs: 3500,
  feedBucketSize: 300,
};

/**
 * One seed's system: its processes (gateways and workers, each a full runtime behind
 * its own fault proxies), its faults, and the operator's hands (kill, steal a lease,
 * upset Redis). Everything lives under the seed's own table prefix and Redis namespace.
 */
export class World {
  readonly seed: number;
  readonly env: SimEnvironment;
  readonly prefix: string;
  readonly namespace: string;
  readonly profile: FaultProfile;
  /** Whether the ledger runs its transfer process (and the workload starts transfers). */
  readonly transfers: boolean;
  /** The ledger's feed partitions, drawn from the seed. */
  readonly partitions: number;
  readonly trace: Trace;
  readonly random: Random;
  /** Direct access, for the checks and the operator (no faults). */
  readonly storage: Storage;
  readonly processes: SimProcess[] = [];
  faultsOn = false;
  /** Seals the webhook subscription's secret; every process of the run reads it. */
  readonly sealingKey: SealingKey = sealingKey();
  private counter = 0;
  private redisSnapshot: Map<string, Buffer> | undefined;
  private readonly direct: Redis;

  constructor(seed: number, env: SimEnvironment, profile: FaultProfile, partitions: number, random: Random, trace: Trace, transfers = true) {
    this.seed = seed;
    this.transfers = transfers;
    this.env = env;
    this.profile = profile;
    this.partitions = partitions;
    this.random = random;
    this.trace = trace;
    // Unique per run, not per seed: a replay must never meet an earlier run's Redis keys.
    this.prefix = `s${randomBytes(6).toString('hex')}`.slice(0, 12);
    this.namespace = `${this.prefix}:sim`;
    this.storage = new Storage(env.connectionString, this.prefix, simTuning);
    this.direct = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  }

  private get setting(): ProcessSetting {
    return {
      connectionString: this.env.connectionString,
      redisUrl: this.env.redisUrl,
      prefix: this.prefix,
      busNamespace: this.namespace,
      tuning: simTuning,
      partitions: this.partitions,
      transfers: this.transfers,
      sealingKey: this.sealingKey,
      onWarning: (name, message, error) => {
        // An entity-group transaction's error starts with the failed action's index ("0:The specified…").
        const what = error ? `${message}: ${error.replace(/^\d+:/, '').split(/[:;(\n]/)[0]}` : message;
        this.trace.count(`warn:${what}`);
        if (error && /another runner|held by another|another merger|another relay|merge journal|placed twice|lost/.test(error)) this.trace.note('warn', `${name} ${message}: ${error.slice(0, 160)}`);
      },
      faults: (name) => {
        const faults = new StorageFaults(this.seed, name, this.profile, () => this.faultsOn);
        faults.onFault = (_request, fault) => this.trace.count(`fault:${fault.kind}`);
        return faults;
      },
    };
  }

  alive(role?: Role): SimProcess[] {
    return this.processes.filter((p) => p.alive && (!role || p.role === role));
  }

  /** Starts a process, trying again while the faults make its start fail. */
  async spawn(role: Role, isolated = false): Promise<SimProcess> {
    const name = `${role === 'gateway' ? 'g' : 'w'}${++this.counter}`;
    for (let attempt = 1; ; attempt++) {
      try {
        const started = await SimProcess.start(name, role, this.setting, isolated);
        this.processes.push(started);
        this.trace.note('process', `${name} started (${role}${isolated ? ', Redis unreachable at its start: in-process bus' : ''}, ${started.runtime.mode})`);
        return started;
      } catch (error) {
        this.trace.note('process', `${name} failed to start: ${(error as Error).message}`);
        if (attempt >= 10) throw error;
        await sleep(300 * attempt);
      }
    }
  }

  /** Carries out one scheduled disruption. */
  async disrupt(disruption: Disruption): Promise<void> {
    const random = this.random.fork('disrupt', disruption.at);
    switch (disruption.kind) {
      case 'kill': {
        const victims = this.alive(disruption.role);
        if (victims.length === 0) return;
        const victim = random.pick(victims);
        const inflight = random.chance(0.5) ? 'deliver' : 'drop';
        victim.kill(inflight);
        this.trace.note('fault', `killed ${victim.name} (requests in flight: ${inflight})`);
        await sleep(random.int(300, 3000));
        await this.spawn(disruption.role);
        return;
      }
      case 'pause': {
        // The worker holding the most leases freezes in the middle of writing views; its
        // leases are broken then, as if they had expired while it was frozen.
        const victims = this.alive('worker');
        if (victims.length === 0) return;
        const victim = victims.reduce((a, b) => (this.believedLeases(b).length > this.believedLeases(a).length ? b : a));
        await new Promise<void>((frozen) =>
          victim.pause(disruption.ms, 3000, () => {
            void this.leasesOf(victim)
              .then((leases) => {
                this.trace.note('fault', `${victim.name} frozen for ${disruption.ms} ms; its leases ${leases.join(', ') || '(none)'} broken`);
                return Promise.all(leases.map((lease) => this.breakLease(lease)));
              })
              .finally(frozen);
          }),
        );
        return;
      }
      case 'steal-lease':
        await this.breakLease(disruption.lease);
        return;
      case 'redis': {
        for (const p of this.alive()) p.redis.set(disruption.mode);
        this.trace.note('fault', `Redis ${disruption.mode} for ${disruption.ms} ms`);
        await sleep(disruption.ms);
        for (const p of this.alive()) p.redis.set('up');
        this.trace.note('fault', 'Redis back');
        return;
      }
      case 'redis-restart':
        await this.restartRedis(disruption.data);
        return;
      case 'skew': {
        const victims = this.alive();
        if (victims.length === 0) return;
        const victim = random.pick(victims);
        victim.clock.skewMs = disruption.ms;
        this.trace.note('fault', `${victim.name}'s clock is ${disruption.ms} ms off`);
        return;
      }
      case 'redis-snapshot':
        await this.snapshotRedis();
        this.trace.note('fault', 'Redis data copied (for a restart with old data)');
        return;
      case 'isolated': {
        const isolated = await this.spawn(disruption.role, true);
        if (disruption.role !== 'worker') return;
        // A feed lease (a relay's, whose log positions belong to a log no one else sees, or
        // the merger's, which hears no partition's notices) moves to the worker on the
        // in-process bus, then away from it again, to a worker on Redis.
        const lease = disruption.lease ?? 'relay';
        const here = async () => isolated.alive && (await this.leasesOf(isolated)).includes(lease);
        for (let tries = 0; tries < 4 && !(await here()); tries++) {
          await this.breakLease(lease);
          await sleep(simTuning.leaseSeconds! * 400);
        }
        if (!(await here())) return;
        this.trace.note('fault', `the ${lease === 'merger' ? 'merger' : `relay of partition ${lease === 'relay' ? 0 : lease.slice(7)}`} runs on ${isolated.name}, on the in-process bus`);
        await sleep(random.int(1000, 4000));
        for (let tries = 0; tries < 4 && (await here()); tries++) {
          await this.breakLease(lease);
          await sleep(simTuning.leaseSeconds! * 400);
        }
        return;
      }
      case 'rebuild':
        return; // the workload's admin carries these out
    }
  }

  /** The leases a process believes it holds: its relays' (one per feed partition), its merger's and its projections'. */
  believedLeases(process: SimProcess): string[] {
    const { relays, projections, mergers } = process.runtime.footprint();
    return [
      ...relays.filter((r) => r.active).map((r) => relayLease(r.partition)),
      ...mergers.filter((m) => m.active).map(() => 'merger'),
      // A partitioned projection's runner of partition p > 0 has a lease of its own.
      ...projections.filter((p) => p.active).map((p) => (p.partition ? `projection-${p.name}~p${p.partition}` : `projection-${p.name}`)),
    ];
  }

  /** The leases a process holds, as it believes. */
  async leasesOf(process: SimProcess): Promise<string[]> {
    return this.believedLeases(process);
  }

  private async breakLease(lease: string): Promise<void> {
    const blob = (await this.storage.container('ledger')).getBlockBlobClient(`leases/${lease}.json`);
    await blob.getBlobLeaseClient().breakLease(0).then(
      () => this.trace.note('fault', `lease ${lease} broken under its holder`),
      (error: Error) => this.trace.note('fault', `lease ${lease} not broken: ${error.message.split('\n')[0]}`),
    );
  }

  /** Keeps a copy of this seed's Redis keys, for a restart that comes back with old data. */
  async snapshotRedis(): Promise<void> {
    await this.direct.connect().catch(() => undefined);
    const snapshot = new Map<string, Buffer>();
    for (const key of await this.keys()) {
      const dumped = await this.direct.dumpBuffer(key);
      if (dumped) snapshot.set(key, dumped);
    }
    this.redisSnapshot = snapshot;
  }

  /** Every client connection drops; the data stays, is lost, or goes back to the snapshot. */
  private async restartRedis(data: 'kept' | 'lost' | 'old'): Promise<void> {
    for (const p of this.alive()) p.redis.dropConnections();
    if (data !== 'kept') {
      const keys = await this.keys();
      if (keys.length > 0) await this.direct.del(...keys);
      if (data === 'old') for (const [key, dumped] of this.redisSnapshot ?? []) await this.direct.restore(key, 0, dumped, 'REPLACE');
    }
    this.trace.note('fault', `Redis restarted, data ${data}`);
  }

  private async keys(): Promise<string[]> {
    await this.direct.connect().catch(() => undefined);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.direct.scan(cursor, 'MATCH', `${this.namespace}|*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }

  /** Faults stop: storage requests pass, Redis answers. (Skewed clocks stay skewed.) */
  heal(): void {
    this.faultsOn = false;
    for (const p of this.alive()) p.redis.set('up');
    this.trace.note('heal', 'faults stop');
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.close()));
    this.direct.disconnect();
  }

  /** Drops the seed's tables and container (Azurite keeps everything in memory). */
  async clean(): Promise<void> {
    for (const name of await this.storage.listTables()) if (name.startsWith(this.prefix)) await this.storage.deleteTable(name).catch(() => undefined);
    await (await this.storage.container('ledger')).deleteIfExists().catch(() => undefined);
    await this.direct.connect().catch(() => undefined);
    const keys = await this.keys().catch(() => []);
    if (keys.length > 0) await this.direct.del(...keys).catch(() => undefined);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
