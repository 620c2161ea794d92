import { readFileSync } from 'node:fs';
import type { Watched } from './stack.ts';

/** Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ). */
const ticksPerSecond = 100;

/** CPU seconds a process has used so far (user + system), from /proc; undefined elsewhere. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * CPU use over a stretch of time, in percent of one core, of the processes this tool
 * started and of the load generator itself.
 */
export class CpuWatch {
  private readonly processes: Watched[];
  private readonly started = new Map<string, number>();
  private startedAt = 0;
  private self = process.cpuUsage();

  constructor(processes: Watched[]) {
    this.processes = processes;
  }

  start(): void {
    this.startedAt = performance.now();
    this.self = process.cpuUsage();
    for (const p of this.processes) {
      const seconds = cpuSeconds(p.pid);
      if (seconds !== undefined) this.started.set(p.name, seconds);
    }
  }

  /** Percent of one core per process since start (200 = two cores busy). */
  stop(): Record<string, number> {
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const percent = (seconds: number) => Math.round((seconds / elapsed) * 100);
    const used: Record<string, number> = {};
    for (const p of this.processes) {
      const [before, after] = [this.started.get(p.name), cpuSeconds(p.pid)];
      if (before !== undefined && after !== undefined) used[p.name] = percent(after - before);
    }
    const self = process.cpuUsage(this.self);
    used['load generator'] = percent((self.user + self.system) / 1e6);
    return used;
  }
}
