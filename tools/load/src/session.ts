import type { Callers } from './callers.ts';
import type { Gateway } from './gateway.ts';
import type { HostileLog } from './hostile-log.ts';
import type { Ledger } from './ledger.ts';

/** What every virtual client of a run shares. */
export interface Session {
  gateway: Gateway;
  callers: Callers;
  ledger: Ledger;
  /** The run's id: part of idempotency keys and flood user names, so runs never meet. */
  run: string;
  /** The newest cursor seen at the head of each context's feed (long-polls wait there). */
  heads: Map<string, string>;
  streams: StreamBudget;
  hostile: HostileLog;
  /** When the load stops (performance.now()). */
  until: number;
  /** The address the sign-in flood claims (X-Forwarded-For, honoured from loopback), so its quota is the flood's own. */
  floodAddress: string;
}

/** One virtual client's own state. */
export interface ClientState {
  id: number;
  writes: number;
  /** Its position in each context's feed. */
  cursors: Map<string, string>;
}

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
export const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

/**
 * How many streams each caller holds at once in the ordinary mix: well below the
 * gateway's per-principal quota (20 by default), so only the flood meets it.
 */
export class StreamBudget {
  private readonly open = new Map<string, number>();
  private readonly perCaller: number;

  constructor(perCaller = 10) {
    this.perCaller = perCaller;
  }

  take(token: string): boolean {
    const held = this.open.get(token) ?? 0;
    if (held >= this.perCaller) return false;
    this.open.set(token, held + 1);
    return true;
  }

  give(token: string): void {
    this.open.set(token, Math.max(0, (this.open.get(token) ?? 1) - 1));
  }
}
