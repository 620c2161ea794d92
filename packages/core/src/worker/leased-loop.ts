import type { Logger } from 'pino';
import { isTransient, statusOf } from '../store/storage.ts';
import type { BlobLease } from './blob-lease.ts';
import type { GroupMember, WorkerGroup } from './group.ts';

export interface LeasedWork {
  /** Runs once each time the lease is won: recover state. */
  start(): Promise<void>;
  /** One unit of work; returns true when there may be more to do right away. */
  step(): Promise<boolean>;
  /** The loop is stopping while the lease is held: save what is only in memory. */
  drain?(): Promise<void>;
  /** The lease was lost or the loop is stopping: drop in-memory state. */
  stop(): void;
}

export interface LeasedLoopOptions {
  /** Fallback poll when no wake-up arrives. */
  idleMs: number;
  log: Logger;
  /** The worker processes sharing this loop's kind of work (takeover of gone holders, fair shares). */
  group?: WorkerGroup;
}

/**
 * Keeps one worker active per lease: the standby polls for the lease, the holder
 * renews it and runs steps, woken early by `wake()` (a bus signal). In a worker group a
 * standby also breaks the lease of a holder that left the group, and takes a free lease
 * only while its process is under its fair share (see group.ts).
 */
export class LeasedLoop implements GroupMember {
  private readonly lease: BlobLease;
  private readonly work: LeasedWork;
  private readonly options: LeasedLoopOptions;
  private running = false;
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;
  private loop: Promise<void> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private stopSleeping: (() => void) | undefined;
  private handingOver = false;
  /** After handing its lease over, a loop leaves free leases to others for a while. */
  private restUntil = 0;
  /** Looks in a row that found the lease free while this process was at its share. */
  private freeSeen = 0;
  /** The work must recover from durable state (start) before its next step. */
  private recovering = false;
  /** Storage-busy failures in a row, for the back-off. */
  private busyRounds = 0;
  state: 'standby' | 'active' | 'failed' | 'stopped' = 'standby';
  lastError: string | undefined;

  constructor(lease: BlobLease, work: LeasedWork, options: LeasedLoopOptions) {
    this.lease = lease;
    this.work = work;
    this.options = options;
  }

  /** This process runs the work, or keeps failing at it: its word on the work counts. */
  get engaged(): boolean {
    return this.state === 'active' || this.lastError !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  /** Holds its lease (also while recovering right after taking it: its process's share counts it). */
  get holding(): boolean {
    return this.running && this.lease.held;
  }

  /** Save, release the lease and leave it to a worker under its share (the group asks). */
  handOver(): void {
    this.handingOver = true;
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    this.stopSleeping?.();
    await this.loop;
    clearInterval(this.renewTimer);
    // A work that failed and has not recovered yet has nothing of its own to save.
    if (this.state === 'active' && this.lease.held && !this.recovering) {
      await this.work.drain?.().catch((error: Error) => this.options.log.warn({ err: error.message, lease: this.lease.name }, 'state not saved on stop'));
    }
    this.work.stop();
    await this.lease.release();
    this.state = 'stopped';
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (this.handingOver) {
          this.handingOver = false;
          if (this.holding) await this.giveBack();
          continue;
        }
        if (!this.lease.held) {
          this.state = 'standby';
          clearInterval(this.renewTimer);
          this.work.stop();
          const look = await this.take();
          if (look !== 'taken') {
            // Another worker holds it: this one's old failure no longer describes the work.
            this.lastError = undefined;
            await this.rest(look === 'holder-missing' ? this.options.group!.pollMs : this.standbyPollMs);
            continue;
          }
          this.options.log.info({ lease: this.lease.name }, 'lease acquired');
          this.renewTimer = setInterval(() => void this.renew(), this.lease.renewEveryMs);
          this.recovering = true;
        }
        if (this.recovering) {
          await this.work.start();
          this.recovering = false;
          this.state = 'active';
        }
        const more = await this.work.step();
        this.lastError = undefined;
        this.busyRounds = 0;
        if (!more) await this.sleep(this.options.idleMs);
      } catch (error) {
        this.lastError = (error as Error).message;
        this.options.log.warn({ err: this.lastError, lease: this.lease.name }, 'worker step failed; recovering');
        // Recover from durable state on the next round.
        this.work.stop();
        this.recovering = true;
        const status = statusOf(error);
        if (status !== undefined && isTransient(error) && this.lease.held) {
          // Storage answered busy (or failed) past the SDK's retries: the lease is still
          // ours, and giving it up would only cost another acquisition and recovery. Back off.
          this.busyRounds++;
          await this.sleep(Math.min(this.options.idleMs * 2 ** this.busyRounds, 5000));
          continue;
        }
        clearInterval(this.renewTimer);
        await this.lease.release();
        await this.sleep(Math.min(this.options.idleMs * 2, 2000));
      }
    }
  }

  private get standbyPollMs(): number {
    return this.options.group ? Math.min(2_000, this.lease.renewEveryMs) : this.lease.renewEveryMs;
  }

  /**
   * One look at the lease from standby. Alone, it tries to acquire. In a group it looks
   * first: a lease held by a process that left the group is broken (see group.ts); a free
   * one is taken while this process is under its share, or when nobody under theirs took
   * it in three looks.
   */
  private async take(): Promise<'taken' | 'held' | 'holder-missing'> {
    const group = this.options.group;
    if (!group) return (await this.lease.tryAcquire()) ? 'taken' : 'held';
    const sight = await this.lease.inspect();
    if (sight.leased) {
      this.freeSeen = 0;
      if (!sight.holder || !sight.etag) return 'held';
      const holder = group.lookAt(sight.holder);
      if (holder === 'present') return 'held';
      if (holder === 'missing') return 'holder-missing';
      if (!(await this.lease.breakIfUnchanged(sight.etag))) return 'held';
      this.options.log.warn({ lease: this.lease.name, holder: sight.holder }, 'lease holder left the worker group; its lease is broken');
    } else {
      this.freeSeen++;
      if (performance.now() < this.restUntil) return 'held';
      if (!group.wantsMore() && this.freeSeen < 3) return 'held';
    }
    this.freeSeen = 0;
    return (await this.lease.tryAcquire(group.id)) ? 'taken' : 'held';
  }

  private async giveBack(): Promise<void> {
    if (!this.recovering) await this.work.drain?.();
    this.work.stop();
    clearInterval(this.renewTimer);
    await this.lease.release();
    this.state = 'standby';
    this.restUntil = performance.now() + 10_000;
    this.options.log.info({ lease: this.lease.name }, 'lease handed over to the worker group');
  }

  private async renew(): Promise<void> {
    try {
      if (!(await this.lease.renew())) this.options.log.warn({ lease: this.lease.name }, 'lease lost');
    } catch (error) {
      this.options.log.debug({ err: (error as Error).message }, 'lease renewal failed');
    }
  }

  /** A standby's pause: not cut short by wake-ups (they are about work it does not hold), only by stop. */
  private rest(ms: number): Promise<void> {
    return pause(ms, (cut) => (this.stopSleeping = cut), () => (this.stopSleeping = undefined));
  }

  /** An active loop's pause until its next look, cut short by a wake-up (or one that came meanwhile). */
  private sleep(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return pause(ms, (cut) => (this.wakeUp = cut), () => {
      this.wakeUp = undefined;
      this.pendingWake = false;
    });
  }
}

/** Waits `ms`, or less when the function handed to `expose` is called; `after` runs either way, once. */
function pause(ms: number, expose: (cut: () => void) => void, after: () => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      after();
      resolve();
    }
    expose(done);
  });
}
