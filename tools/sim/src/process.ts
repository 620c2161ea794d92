import { createRuntime, type CoreConfig, type Runtime, type Tuning } from '@eventloom/core';
import {
  connectionStringThrough,
  startHttpFaultProxy,
  startTcpFaultProxy,
  storageTarget,
  type HttpFaultProxy,
  type TcpFaultProxy,
} from '@eventloom/core/testing/faults';
import { pino } from 'pino';
import type { WebhookDispatcher } from '@eventloom/gateway/consumers';
import type { StorageFaults } from './faults.ts';
import { startDeliveries, type SealingKey } from './webhooks.ts';
import { ledger } from './ledger.ts';

export type Role = 'gateway' | 'worker';

/** What a process needs from the world it runs in. */
export interface ProcessSetting {
  /** The storage account and Redis, reached directly (the process gets proxies in front). */
  connectionString: string;
  redisUrl: string;
  prefix: string;
  busNamespace: string;
  tuning: Partial<Tuning>;
  /** The ledger's feed partitions (every process of a seed mounts the same). */
  partitions: number;
  /** Whether the ledger mounts its transfer process. */
  transfers: boolean;
  faults: (process: string) => StorageFaults;
  /** Seals webhook secrets (the same for every process of the run). */
  sealingKey: SealingKey;
  /** Told of every warning a process logs (what failed, and how it recovered). */
  onWarning: (process: string, message: string, error: string | undefined) => void;
}

/**
 * One simulated process: a full runtime (a gateway without workers, or a worker) whose
 * every request to Azure and Redis crosses its own fault proxies. Killing it cuts those
 * at once: requests already sent may still land, no answer comes back and nothing new
 * goes out, as when the process is SIGKILLed; its leases expire on their own.
 */
export class SimProcess {
  readonly name: string;
  readonly role: Role;
  readonly runtime: Runtime;
  private readonly proxies: { blob: HttpFaultProxy; table: HttpFaultProxy; redis: TcpFaultProxy };
  /** Its storage faults (a pause holds every request). */
  readonly faults: StorageFaults;
  /** A worker's webhook deliveries. */
  deliveries: WebhookDispatcher | undefined;
  alive = true;
  /** Shifts this process's wall clock (clock skew); 0 for an honest clock. */
  readonly clock: { skewMs: number };
  private readonly deathListeners = new Set<() => void>();

  private constructor(name: string, role: Role, runtime: Runtime, proxies: SimProcess['proxies'], clock: { skewMs: number }, faults: StorageFaults) {
    this.faults = faults;
    this.name = name;
    this.role = role;
    this.runtime = runtime;
    this.proxies = proxies;
    this.clock = clock;
  }

  /** `isolated`: Redis does not answer it while it starts (it then runs on the in-process bus). */
  static async start(name: string, role: Role, setting: ProcessSetting, isolated = false): Promise<SimProcess> {
    const faults = setting.faults(name);
    const decide = faults.decide.bind(faults);
    const [blob, table, redis] = await Promise.all([
      startHttpFaultProxy({ target: storageTarget(setting.connectionString, 'blob'), service: 'blob', decide }),
      startHttpFaultProxy({ target: storageTarget(setting.connectionString, 'table'), service: 'table', decide }),
      startTcpFaultProxy({ target: { host: new URL(setting.redisUrl).hostname, port: Number(new URL(setting.redisUrl).port || 6379) } }),
    ]);
    if (isolated) redis.set('down');
    const config: CoreConfig = {
      AZURE_STORAGE_CONNECTION_STRING: connectionStringThrough(setting.connectionString, { blob, table }),
      REDIS_URL: redis.url,
      EVENTLOOM_PREFIX: setting.prefix,
      LOG_LEVEL: (process.env.SIM_LOG_LEVEL as CoreConfig['LOG_LEVEL']) ?? 'silent',
    };
    const clock = { skewMs: 0 };
    try {
      // Warnings go to the run's trace, not to the terminal.
      const logger = pino(
        { level: 'warn' },
        {
          write: (line: string) => {
            const { msg, err } = JSON.parse(line) as { msg: string; err?: string };
            setting.onWarning(name, msg, err);
          },
        },
      );
      const runtime = await createRuntime({
        contexts: [{ ...ledger, feed: { partitions: setting.partitions }, ...(setting.transfers ? {} : { processes: [] }) }],
        config,
        logger,
        workers: role === 'worker',
        tuning: setting.tuning,
        busNamespace: setting.busNamespace,
        clock: () => Date.now() + clock.skewMs,
      });
      if (isolated) redis.set('up');
      const started = new SimProcess(name, role, runtime, { blob, table, redis }, clock, faults);
      if (role === 'worker') {
        started.deliveries = await startDeliveries(runtime, setting.sealingKey, logger).catch(async (error: unknown) => {
          await runtime.close().catch(() => undefined);
          throw error;
        });
      }
      return started;
    } catch (error) {
      await Promise.all([blob.close(), table.close(), redis.close()]);
      throw error;
    }
  }

  /** Its Redis connection, for outages (the proxies of all processes are set together). */
  get redis(): TcpFaultProxy {
    return this.proxies.redis;
  }

  /**
   * Freezes the process for `ms` from its next view write (within `latestMs`): its
   * requests wait on the way, its Redis connection carries nothing. `started` is told
   * when the freeze begins.
   */
  pause(ms: number, latestMs: number, started: () => void): void {
    this.faults.pauseAtNextViewWrite(ms, latestMs, () => {
      this.proxies.redis.set('hung');
      setTimeout(() => {
        if (this.alive) this.proxies.redis.set('up');
      }, ms).unref();
      started();
    });
  }

  /** SIGKILL: requests in flight land or not (`inflight`), nothing answers, nothing new goes out. */
  kill(inflight: 'deliver' | 'drop'): void {
    if (!this.alive) return;
    this.alive = false;
    this.proxies.blob.kill(inflight);
    this.proxies.table.kill(inflight);
    this.proxies.redis.kill();
    for (const listener of this.deathListeners) listener();
    // Its loops and timers still run in this node process: stop them (every request fails at once).
    void Promise.all([this.deliveries?.stop(), this.runtime.close()])
      .catch(() => undefined)
      .finally(() => this.closeProxies());
  }

  /**
   * The work's outcome, unless the process dies first: then ProcessDied, and whatever the
   * work does afterwards never reaches its caller (a dead process answers no one).
   */
  guard<T>(work: Promise<T>): Promise<T> {
    if (!this.alive) {
      work.catch(() => undefined);
      return Promise.reject(new ProcessDied(this.name));
    }
    return new Promise<T>((resolve, reject) => {
      const died = () => reject(new ProcessDied(this.name));
      this.deathListeners.add(died);
      work.then(
        (value) => {
          this.deathListeners.delete(died);
          if (this.alive) resolve(value);
        },
        (error: unknown) => {
          this.deathListeners.delete(died);
          if (this.alive) reject(error);
        },
      );
    });
  }

  /** A clean stop at the end of a run. */
  async close(): Promise<void> {
    if (this.alive) {
      this.alive = false;
      await this.deliveries?.stop().catch(() => undefined);
      await this.runtime.close().catch(() => undefined);
    }
    await this.closeProxies();
  }

  private async closeProxies(): Promise<void> {
    await Promise.all([this.proxies.blob.close(), this.proxies.table.close(), this.proxies.redis.close()]).catch(() => undefined);
  }
}

export class ProcessDied extends Error {
  constructor(name: string) {
    super(`process ${name} died`);
    this.name = 'ProcessDied';
  }
}
