import type { TableServiceClientOptions } from '@azure/data-tables';

type Policy = NonNullable<TableServiceClientOptions['additionalPolicies']>[number]['policy'];

/** Answers looked at for the service's time: the median of the last ones. */
const kept = 15;
/** A process clock this close to the service's is left alone (the Date header has 1 s resolution). */
export const clockToleranceMs = 2000;

/**
 * The storage service's clock as this process sees it, from the `Date` header of its
 * answers. Process timers are due on it: a process whose own clock is off by more than
 * `clockToleranceMs` would otherwise set timers its skew too late (or too early) for
 * the process that sweeps them.
 */
export class ServerTime {
  private readonly clock: () => number;
  private offsets: number[] = [];

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  /** An answer made at `date` (the service's clock, to the second), sent and received at these local times. */
  observe(date: string | undefined, sentAt: number, receivedAt: number): void {
    const server = date ? Date.parse(date) : Number.NaN;
    if (!Number.isFinite(server)) return;
    // The header is cut to the second: the answer was made within [server, server + 1 s).
    this.offsets.push(server + 500 - (sentAt + receivedAt) / 2);
    if (this.offsets.length > kept) this.offsets.shift();
  }

  /** How far the service's clock is ahead of this process's (0 within the tolerance, or before any answer). */
  get offsetMs(): number {
    if (this.offsets.length === 0) return 0;
    const sorted = [...this.offsets].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return Math.abs(median) > clockToleranceMs ? median : 0;
  }

  /** This process's clock, or the service's when the two are further apart than the tolerance. */
  now(): number {
    return this.clock() + this.offsetMs;
  }

  /** A pipeline policy that reads each answer's Date header. */
  policy(): Policy {
    return {
      name: 'eventloomServerTime',
      sendRequest: async (request, next) => {
        const sentAt = this.clock();
        const response = await next(request);
        this.observe(response.headers.get('date'), sentAt, this.clock());
        return response;
      },
    };
  }
}
