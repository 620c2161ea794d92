/** What kind of request: the summary gives each its own latency figures. */
export type Category = 'read' | 'feed' | 'write' | 'stream' | 'hostile' | 'health';
export const categories: Category[] = ['read', 'feed', 'write', 'stream', 'hostile', 'health'];

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50/p99/max in ms (nearest rank) of some durations; zeros when there are none. */
export function latency(durations: number[]): Latency {
  if (durations.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1)!) };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** A request that went wrong in a way the checks care about, counted per route. */
export interface Incident {
  route: string;
  what: string;
  count: number;
  /** One example: the path sent and what came back. */
  example: string;
}

/** One answer as the tally sees it. */
export interface Observation {
  category: Category;
  /** `METHOD /path/{template}`: what statuses and incidents are counted under. */
  route: string;
  path: string;
  /** 0 when no answer came (a network error). */
  status: number;
  ms: number;
  error?: string;
  retryAfter?: string;
  /** The `quota` a 429 names. */
  quota?: string;
  /** A deliberately abusive request: a dropped connection there is the hostile check's business. */
  abusive: boolean;
  detail?: string;
}

/** Counts every answer of the run: statuses, latencies per category, 429s per quota, incidents. */
export class Tally {
  total = 0;
  /** Answers to the load (not the probe's) per window of `windowMs` since the tally began. */
  readonly perWindow: number[] = [];
  private readonly began = performance.now();
  readonly windowMs: number;
  /** Deliberately abusive requests among them. */
  abusive = 0;
  readonly statuses = new Map<string, number>();
  readonly durations = new Map<Category, number[]>();
  readonly quotas = new Map<string, number>();
  unavailable = 0;
  private readonly network = new Map<string, Incident>();
  private readonly serverErrors = new Map<string, Incident>();

  constructor(windowMs = 10_000) {
    this.windowMs = windowMs;
  }

  record(o: Observation): void {
    this.total++;
    if (o.category !== 'health') {
      const window = Math.floor((performance.now() - this.began) / this.windowMs);
      this.perWindow[window] = (this.perWindow[window] ?? 0) + 1;
    }
    if (o.abusive) this.abusive++;
    const status = o.status === 0 ? 'network error' : String(o.status);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    const list = this.durations.get(o.category) ?? [];
    list.push(o.ms);
    this.durations.set(o.category, list);
    if (o.status === 429) this.quotas.set(o.quota ?? '(none named)', (this.quotas.get(o.quota ?? '(none named)') ?? 0) + 1);
    if (o.status === 503) this.unavailable++;
    const example = `${o.path.slice(0, 160)} → ${o.status === 0 ? o.error : o.status}${o.detail ? ` ${o.detail.slice(0, 200)}` : ''}`;
    if (o.status === 0 && !o.abusive) count(this.network, o.route, o.error ?? 'no answer', example);
    // A 503 that says when to come back is load shedding; any other 5xx is a failure.
    if (o.status >= 500 && !(o.status === 503 && o.retryAfter)) count(this.serverErrors, o.route, `${o.status}${o.status === 503 ? ' without Retry-After' : ''}`, example);
  }

  networkErrors(): Incident[] {
    return [...this.network.values()];
  }

  unexpectedServerErrors(): Incident[] {
    return [...this.serverErrors.values()];
  }

  latencies(): Partial<Record<Category, Latency>> {
    return Object.fromEntries(categories.filter((c) => this.durations.has(c)).map((c) => [c, latency(this.durations.get(c)!)]));
  }
}

function count(incidents: Map<string, Incident>, route: string, what: string, example: string): void {
  const key = `${route} ${what}`;
  const known = incidents.get(key);
  if (known) known.count++;
  else incidents.set(key, { route, what, count: 1, example });
}
