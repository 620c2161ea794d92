import type { Health, Runtime } from '@eventloom/core';

export interface HealthProbeOptions {
  /** A probe younger than this is answered as it is (default 1 s). */
  freshMs?: number;
  /**
   * An older one, up to this age, is still answered at once while a new probe runs
   * (default 10 s); past it, the answer waits for the new probe (itself bounded).
   */
  staleMs?: number;
  now?: () => number;
}

export interface HealthAnswer {
  health: Health;
  /** How long ago the probe that answers started. */
  ageMs: number;
}

/**
 * What `/health` answers: the newest probe of storage and Redis, one probe at a time.
 * A health check polled by a supervisor or a load balancer must answer fast when the
 * gateway is busy, which is when it matters: callers never wait on a probe while one
 * younger than `staleMs` exists, and concurrent callers never start a probe each (under
 * load every ping to storage is slow; a pile of them made /health the slowest route).
 * The cost: a dependency that fails is reported one probe later, within about
 * `freshMs` plus the probe's own bound.
 */
export class HealthProbe {
  private last: { health: Health; startedAt: number } | undefined;
  private running: Promise<void> | undefined;
  private readonly freshMs: number;
  private readonly staleMs: number;
  private readonly now: () => number;
  private readonly runtime: Pick<Runtime, 'health' | 'mode'>;

  constructor(runtime: Pick<Runtime, 'health' | 'mode'>, options: HealthProbeOptions = {}) {
    this.runtime = runtime;
    this.freshMs = options.freshMs ?? 1_000;
    this.staleMs = options.staleMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async current(): Promise<HealthAnswer> {
    const age = this.last ? this.now() - this.last.startedAt : Infinity;
    if (age >= this.freshMs) {
      const probe = this.probe();
      if (age >= this.staleMs) await probe;
    }
    const last = this.last!;
    return { health: last.health, ageMs: Math.max(0, this.now() - last.startedAt) };
  }

  private probe(): Promise<void> {
    this.running ??= (async () => {
      const startedAt = this.now();
      let health: Health;
      try {
        health = await this.runtime.health();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        health = { ok: false, storage: { ok: false, error: message }, redis: { ok: false, mode: this.runtime.mode, error: message } };
      }
      // A slower probe that started earlier never overwrites a newer answer.
      if (!this.last || this.last.startedAt <= startedAt) this.last = { health, startedAt };
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
