import type { Cost } from './requests.ts';

/** Azure Table's documented targets for a standard account, in entities per second. */
export const azureTargets = { partitionRate: 2_000, accountRate: 20_000 } as const;

export interface LimitsOptions {
  /** Entities per second one table partition takes. */
  partitionRate: number;
  /** Entities (transactions) per second the whole account takes. */
  accountRate: number;
  /** Milliseconds, monotonic; injectable so tests never sleep. */
  clock?: () => number;
}

export type Verdict = { admitted: true } | { admitted: false; limit: 'partition' | 'account' };

/**
 * A token bucket: `rate` tokens a second, holding at most one second's worth. A cost
 * that fits is taken; one that does not is refused and takes nothing. A cost larger
 * than a full bucket (a 100-entity transaction at 50/s) passes only when the bucket is
 * full and leaves it in debt, so it is never refused forever and the rate still holds.
 */
class Bucket {
  private readonly rate: number;
  private tokens: number;
  private at: number;

  constructor(rate: number, now: number) {
    this.rate = rate;
    this.tokens = rate;
    this.at = now;
  }

  /** Refills up to `now`; true when the bucket is full (nothing to remember). */
  refill(now: number): boolean {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    return this.tokens >= this.rate;
  }

  fits(cost: number): boolean {
    return this.tokens >= Math.min(cost, this.rate);
  }

  take(cost: number): void {
    this.tokens -= cost;
  }
}

/** How often idle partitions are swept, in milliseconds of the clock. */
const sweepEveryMs = 1_000;

/**
 * Azure's per-partition and per-account targets as token buckets. A request is admitted
 * only when both its partition's bucket and the account's take it, and then charged to
 * both; refused, it is charged to neither (Azure did not serve it).
 */
export class Limits {
  private readonly partitionRate: number;
  private readonly clock: () => number;
  private readonly account: Bucket;
  private readonly partitions = new Map<string, Bucket>();
  private sweptAt: number;

  constructor(options: LimitsOptions) {
    for (const [name, rate] of [['partitionRate', options.partitionRate], ['accountRate', options.accountRate]] as const) {
      if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`${name} must be a positive number of entities per second, not ${rate}`);
    }
    this.partitionRate = options.partitionRate;
    this.clock = options.clock ?? (() => performance.now());
    const now = this.clock();
    this.account = new Bucket(options.accountRate, now);
    this.sweptAt = now;
  }

  admit(cost: Cost): Verdict {
    const now = this.clock();
    this.sweep(now);
    this.account.refill(now);
    let partition: Bucket | undefined;
    if (cost.partition) {
      const key = `${cost.partition.table}\n${cost.partition.key}`;
      partition = this.partitions.get(key);
      if (partition) partition.refill(now);
      else this.partitions.set(key, (partition = new Bucket(this.partitionRate, now)));
    }
    if (partition && !partition.fits(cost.entities)) return { admitted: false, limit: 'partition' };
    if (!this.account.fits(cost.entities)) return { admitted: false, limit: 'account' };
    partition?.take(cost.entities);
    this.account.take(cost.entities);
    return { admitted: true };
  }

  /** Partitions remembered now: those used within about the last second, or still in debt. */
  get trackedPartitions(): number {
    return this.partitions.size;
  }

  /** A partition whose bucket has filled up again is the same as one never seen: forget it. */
  private sweep(now: number): void {
    if (now - this.sweptAt < sweepEveryMs) return;
    this.sweptAt = now;
    for (const [key, bucket] of this.partitions) if (bucket.refill(now)) this.partitions.delete(key);
  }
}
