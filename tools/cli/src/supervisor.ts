import type { Child } from './children.ts';

export interface SupervisorOptions {
  name: string;
  /** Starts one run of the process. */
  start: () => Child;
  /** Printed as lines of `./eventloom up`. */
  say: (message: string) => void;
  /** First wait before a restart; doubles with each quick exit (default 1 s, at most 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A run shorter than this counts as a quick exit (default 10 s). */
  quickMs?: number;
  /** Quick exits in a row after which it is left down (default 5). */
  maxQuickExits?: number;
  /** Called once when the supervisor gives up. */
  onGiveUp?: (reason: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Keeps one process running: an unexpected exit is restarted after a backoff that grows
 * while runs keep ending quickly, and after too many quick exits in a row it stays down
 * with a message saying why, instead of restarting a crash loop for ever.
 */
export class Supervisor {
  readonly name: string;
  private current: Child | undefined;
  private stopping = false;
  private quickExits = 0;
  private readonly options: Required<Omit<SupervisorOptions, 'onGiveUp'>> & Pick<SupervisorOptions, 'onGiveUp'>;
  /** Resolves when the supervisor stops for good (stopped or given up). */
  readonly done: Promise<void>;
  private finish!: () => void;
  restarts = 0;

  constructor(options: SupervisorOptions) {
    this.name = options.name;
    this.options = {
      backoffMs: 1000,
      maxBackoffMs: 30_000,
      quickMs: 10_000,
      maxQuickExits: 5,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
      now: () => performance.now(),
      ...options,
    };
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /** Starts the first run; the returned child is the one running now. */
  start(): Child {
    const child = this.run();
    return child;
  }

  get child(): Child | undefined {
    return this.current;
  }

  isRunning(): boolean {
    return this.current?.isRunning() ?? false;
  }

  private run(): Child {
    const startedAt = this.options.now();
    const child = this.options.start();
    this.current = child;
    void child.exited.then(async ({ code, signal }) => {
      if (this.stopping) return this.finish();
      const lived = this.options.now() - startedAt;
      this.quickExits = lived < this.options.quickMs ? this.quickExits + 1 : 0;
      if (this.quickExits >= this.options.maxQuickExits) {
        const reason = `${this.name} exited ${this.quickExits} times in a row within ${Math.round(this.options.quickMs / 1000)} s of starting (last: code ${code}, signal ${signal}); not restarting it. Its output above says why; fix that and run ./eventloom up again.`;
        this.options.say(reason);
        this.options.onGiveUp?.(reason);
        return this.finish();
      }
      const wait = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** Math.max(0, this.quickExits - 1));
      this.options.say(`${this.name} exited unexpectedly (code ${code}, signal ${signal}); restarting it in ${(wait / 1000).toFixed(wait < 1000 ? 1 : 0)} s`);
      await this.options.sleep(wait);
      if (this.stopping) return this.finish();
      this.restarts++;
      this.run();
    });
    return child;
  }

  /** Stops the running process (if any) and restarts nothing after. */
  async stop(graceMs?: number): Promise<void> {
    this.stopping = true;
    const child = this.current;
    if (child?.isRunning()) await child.stop(graceMs);
    else this.finish();
    await this.done;
  }
}
