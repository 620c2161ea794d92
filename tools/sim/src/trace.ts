/** What happened in a run, newest last: the steps and faults a failure report shows. */
export class Trace {
  private readonly lines: string[] = [];
  private readonly started = performance.now();
  private readonly limit: number;
  readonly counts: Record<string, number> = {};

  constructor(limit = 2000) {
    this.limit = limit;
  }

  /** Milliseconds since the run started. */
  get elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  note(kind: string, text: string): void {
    this.count(kind);
    this.lines.push(`${String(this.elapsed).padStart(7)} ms  ${kind.padEnd(8)} ${text}`);
    if (this.lines.length > this.limit) this.lines.splice(0, this.lines.length - this.limit);
  }

  count(what: string, by = 1): void {
    this.counts[what] = (this.counts[what] ?? 0) + by;
  }

  /** The last `n` lines, or those matching `filter`. */
  tail(n: number, filter?: (line: string) => boolean): string[] {
    const lines = filter ? this.lines.filter(filter) : this.lines;
    return lines.slice(-n);
  }
}
