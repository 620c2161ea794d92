import cliProgress from 'cli-progress';
import type { Rebuild } from './rebuilds.ts';

const finished = new Set<Rebuild['state']>(['done', 'cancelled', 'failed']);
export const isFinished = (rebuild: Rebuild) => finished.has(rebuild.state);

/** `1 h 02 min`, `3 min 05 s`, `12 s`. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

function status(rebuild: Rebuild): string {
  switch (rebuild.state) {
    case 'requested':
      return 'waiting for the projection worker';
    case 'running': {
      const rate = rebuild.eventsPerSecond ? `${Math.round(rebuild.eventsPerSecond).toLocaleString('en')} ev/s` : '… ev/s';
      return `${rate} | ETA ${duration(rebuild.etaSeconds)}`;
    }
    case 'cancel-requested':
      return 'cancelling';
    default:
      return rebuild.state;
  }
}

/**
 * One progress bar per projection being rebuilt, with the rate and ETA the
 * projection's runner reports. Without a terminal it prints a line per bar now and then.
 */
export class RebuildBars {
  private readonly multi: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly width: number;
  readonly latest = new Map<string, Rebuild>();

  constructor(rebuilds: Rebuild[], stream: NodeJS.WriteStream = process.stdout) {
    this.width = Math.max(...rebuilds.map((r) => key(r).length));
    this.multi = new cliProgress.MultiBar(
      {
        stream,
        format: '{name} {bar} {percentage}% | {events} events | {status}',
        barsize: 30,
        hideCursor: true,
        noTTYOutput: true,
        notTTYSchedule: 1000,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
    for (const rebuild of rebuilds) {
      this.bars.set(key(rebuild), this.multi.create(1, 0, this.payload(rebuild)));
      this.update(rebuild);
    }
  }

  /** Takes a record from the stream or a poll; older news about the same rebuild is ignored. */
  update(rebuild: Rebuild): void {
    const name = key(rebuild);
    const bar = this.bars.get(name);
    const known = this.latest.get(name);
    if (!bar || (known && known.id !== rebuild.id) || (known && isFinished(known))) return;
    this.latest.set(name, rebuild);
    // An empty feed has nothing to count: its bar is full once done.
    const total = Math.max(rebuild.total ?? 0, rebuild.done ?? 0, 1);
    bar.setTotal(total);
    bar.update(rebuild.state === 'done' ? total : Math.min(rebuild.done ?? 0, total), this.payload(rebuild));
  }

  get allFinished(): boolean {
    return [...this.bars.keys()].every((name) => {
      const rebuild = this.latest.get(name);
      return rebuild !== undefined && isFinished(rebuild);
    });
  }

  stop(): void {
    this.multi.stop();
  }

  private payload(rebuild: Rebuild) {
    return {
      name: key(rebuild).padEnd(this.width),
      events: `${(rebuild.done ?? 0).toLocaleString('en')}/${Math.max(rebuild.total ?? 0, rebuild.done ?? 0).toLocaleString('en')}`,
      status: status(rebuild),
    };
  }
}

export const key = (rebuild: { context: string; projection: string }) => `${rebuild.context}/${rebuild.projection}`;
