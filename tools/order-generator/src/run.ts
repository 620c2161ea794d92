import { sampleOrders, seededRandom, type SampleMovie } from '@eventloom/orders-context/testing';
import type { BatchOutcome } from './gateway-sink.ts';

/** Where orders go: the gateway (stored, duplicate or rejected per order) or an event hub (enqueued). */
export interface OrderSink {
  send(orders: unknown[]): Promise<BatchOutcome>;
}

export interface RunOptions {
  /** Orders per second. */
  rate: number;
  durationSeconds: number;
  /** Most orders per request. */
  batch: number;
  /** Requests in flight at most. */
  concurrency: number;
  seed: number;
  /** Spread OrderDate over [from, to); without it every order is dated now. */
  from?: Date;
  to?: Date;
  /** Fraction of orders made invalid on purpose (to watch rejections). */
  invalid: number;
  /** Fraction of requests' orders that are earlier orders sent again (to watch duplicates). */
  resend: number;
  onProgress?: (progress: Progress) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Progress {
  total: number;
  sent: number;
  stored: number;
  duplicates: number;
  rejected: number;
  /** Orders an event hub accepted (its consumer validates and stores them). */
  enqueued: number;
  /** Orders in batches that failed even after retries (unknown whether stored: re-send them). */
  failed: number;
}

export interface RunSummary extends Progress {
  seconds: number;
  /** A few rejected orders' field errors, and the failures' messages. */
  errors: Record<string, string[]>[];
  failures: string[];
}

/** Each send carries at most this many orders, and at least two sends go out per second. */
export function batchSize(rate: number, batch: number): number {
  return Math.max(1, Math.min(batch, Math.ceil(rate / 2)));
}

/** Sends rate × duration seed-shaped orders, on schedule, and counts what the gateway (or event hub) said. */
export async function run(client: OrderSink, movies: SampleMovie[], options: RunOptions): Promise<RunSummary> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const total = Math.max(0, Math.round(options.rate * options.durationSeconds));
  const size = batchSize(options.rate, options.batch);
  const orders = sampleOrders({ seed: options.seed, movies, ...(options.from ? { from: options.from, to: options.to ?? new Date() } : {}) });
  const random = seededRandom(options.seed ^ 0x2f6b);
  const sentBefore: unknown[] = [];
  const progress: Progress = { total, sent: 0, stored: 0, duplicates: 0, rejected: 0, enqueued: 0, failed: 0 };
  const errors: Record<string, string[]>[] = [];
  const failures: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const started = now();

  for (let queued = 0; queued < total; ) {
    const count = Math.min(size, total - queued);
    const due = started + (queued / options.rate) * 1000;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    const batch: unknown[] = [];
    for (let i = 0; i < count; i++) {
      if (sentBefore.length > 0 && random.chance(options.resend)) batch.push(random.pick(sentBefore));
      else batch.push(random.chance(options.invalid) ? spoil(orders.next().value!, random.int(0, 2)) : orders.next().value!);
    }
    for (const order of batch) if (sentBefore.length < 1000) sentBefore.push(order);
    queued += count;
    const request: Promise<void> = client
      .send(batch)
      .then((outcome: BatchOutcome) => {
        progress.stored += outcome.stored;
        progress.duplicates += outcome.duplicates;
        progress.rejected += outcome.rejected;
        progress.enqueued += outcome.enqueued ?? 0;
        if (errors.length < 5) errors.push(...outcome.errors.slice(0, 5 - errors.length));
      })
      .catch((error: Error) => {
        progress.failed += count;
        if (failures.length < 5) failures.push(error.message);
      })
      .finally(() => {
        progress.sent += count;
        inFlight.delete(request);
        options.onProgress?.({ ...progress });
      });
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  return { ...progress, seconds: (now() - started) / 1000, errors, failures };
}

/** Breaks an order in one of the ways a shop's bug would. */
function spoil(order: Record<string, unknown> & { Details: Record<string, unknown>[] }, how: number): unknown {
  const copy = structuredClone(order);
  if (how === 0) copy.Details[0]!.Quantity = 0;
  else if (how === 1) copy.Details[0]!.ProductId = 9_999_999;
  else copy.Total = Number(copy.Total) + 5;
  return copy;
}
