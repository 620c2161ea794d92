import type { Logger } from 'pino';
import type { BlobLease } from './blob-lease.ts';

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
}

/**
 * Keeps one worker active per lease: the standby polls for the lease, the holder
 * renews it and runs steps, woken early by `wake()` (a bus signal).
 */
export class LeasedLoop {
  private readonly lease: BlobLease;
  private readonly work: LeasedWork;
  private readonly options: LeasedLoopOptions;
  private running = false;
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;
  private loop: Promise<void> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
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

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    clearInterval(this.renewTimer);
    if (this.state === 'active' && this.lease.held) {
      await this.work.drain?.().catch((error: Error) => this.options.log.warn({ err: error.message, lease: this.lease.name }, 'state not saved on stop'));
    }
    this.work.stop();
    await this.lease.release();
    this.state = 'stopped';
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.lease.held) {
          this.state = 'standby';
          clearInterval(this.renewTimer);
          this.work.stop();
          if (!(await this.lease.tryAcquire())) {
            // Another worker holds it: this one's old failure no longer describes the work.
            this.lastError = undefined;
            await this.sleep(this.lease.renewEveryMs);
            continue;
          }
          this.options.log.info({ lease: this.lease.name }, 'lease acquired');
          this.renewTimer = setInterval(() => void this.renew(), this.lease.renewEveryMs);
          await this.work.start();
          this.state = 'active';
        }
        const more = await this.work.step();
        this.lastError = undefined;
        if (!more) await this.sleep(this.options.idleMs);
      } catch (error) {
        this.lastError = (error as Error).message;
        this.options.log.warn({ err: this.lastError, lease: this.lease.name }, 'worker step failed; recovering');
        // Recover from durable state on the next round, whether or not the lease is still ours.
        this.work.stop();
        clearInterval(this.renewTimer);
        await this.lease.release();
        await this.sleep(Math.min(this.options.idleMs * 2, 2000));
      }
    }
  }

  private async renew(): Promise<void> {
    try {
      if (!(await this.lease.renew())) this.options.log.warn({ lease: this.lease.name }, 'lease lost');
    } catch (error) {
      this.options.log.debug({ err: (error as Error).message }, 'lease renewal failed');
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        self.pendingWake = false;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
