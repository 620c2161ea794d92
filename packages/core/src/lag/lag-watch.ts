/*
 * Time lag and stalls, from positions alone. A consumer at checkpoint c with the feed
 * further on is behind by the age of entry c + 1 (the oldest it has not applied); it is
 * stalled when that work has waited, with the checkpoint not moving, for `stallAfterMs`.
 * The watch remembers, per consumer, when it first saw the current checkpoint and the
 * placed time of the entry after it (feed rows never change), so a consumer that does not
 * move costs no read at all, and one that moves costs one read of one row per look.
 */

export interface LagStanding {
  /** Age of the oldest entry not yet applied; 0 when caught up. */
  lagSeconds: number;
  /** Behind, and neither moved nor had anything to do for `stallAfterMs`. */
  stalled: boolean;
}

export interface LagWatchOptions {
  /** Wall clock in ms (default Date.now); tests pass their own. */
  now?: () => number;
  /** How long waiting work may go unapplied before the consumer counts as stalled (default 30 s). */
  stallAfterMs?: number;
}

/** When the placed time of the entry after a checkpoint is unknown (none found): nothing to wait for. */
export type PlacedAt = (seq: number) => Promise<number | undefined>;

interface Seen {
  checkpoint: number;
  /** When this watch first saw the checkpoint at this value. */
  since: number;
  /** The entry after the checkpoint and when it was placed. */
  next?: { seq: number; placedAt: number };
}

export const defaultStallAfterMs = 30_000;

export class LagWatch {
  readonly stallAfterMs: number;
  private readonly now: () => number;
  private readonly seen = new Map<string, Seen>();

  constructor(options: LagWatchOptions = {}) {
    this.now = options.now ?? Date.now;
    this.stallAfterMs = options.stallAfterMs ?? defaultStallAfterMs;
  }

  /**
   * One look at a consumer (`key`) at `checkpoint` with the feed at `head`. `placedAt` is
   * asked only when the consumer is behind and the entry after its checkpoint is not known yet.
   */
  async look(key: string, checkpoint: number, head: number, placedAt: PlacedAt): Promise<LagStanding> {
    const now = this.now();
    let seen = this.seen.get(key);
    if (!seen || seen.checkpoint !== checkpoint) {
      seen = { checkpoint, since: now };
      this.seen.set(key, seen);
    }
    if (head <= checkpoint) return { lagSeconds: 0, stalled: false };
    const seq = checkpoint + 1;
    if (seen.next?.seq !== seq) {
      const at = await placedAt(seq);
      if (at === undefined) return { lagSeconds: 0, stalled: false };
      seen.next = { seq, placedAt: at };
    }
    const lagMs = Math.max(0, now - seen.next.placedAt);
    // Work has waited since the later of: the checkpoint last seen to move, the oldest entry placed.
    const waitedMs = now - Math.max(seen.since, seen.next.placedAt);
    return { lagSeconds: Math.round(lagMs) / 1000, stalled: waitedMs >= this.stallAfterMs };
  }

  /** Forgets consumers no longer looked at (a deleted subscription), so the watch stays small. */
  keepOnly(keys: Iterable<string>): void {
    const kept = new Set(keys);
    for (const key of this.seen.keys()) if (!kept.has(key)) this.seen.delete(key);
  }
}
