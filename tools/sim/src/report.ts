import { partitionsText } from './ledger-feed.ts';
import type { SeedResult } from './run.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Leases a standby broke because their holder had left the worker group (core/worker/leased-loop.ts logs each). */
const groupTakeoverWarning = 'warn:lease holder left the worker group; its lease is broken';
const groupTakeovers = (result: SeedResult) => result.counts[groupTakeoverWarning] ?? 0;

/** How the run's transfers ended (`transfers completed` and the like, counted by the final checks). */
function transfers(result: SeedResult): string {
  const endings = Object.entries(result.counts).filter(([kind]) => kind.startsWith('transfers '));
  const total = endings.reduce((n, [, v]) => n + v, 0);
  return `${total} transfers${endings.length ? ` (${endings.map(([kind, n]) => `${n} ${kind.slice(10)}`).join(', ')})` : ''}`;
}

/** One line per passing seed; the failures and the trace that led to them for a failing one. */
export function report(result: SeedResult, withTrace = false): string {
  const faults = Object.entries(result.counts)
    .filter(([kind]) => kind.startsWith('fault:'))
    .map(([kind, n]) => `${kind.slice(6)} ${n}`)
    .join(', ');
  const line =
    `seed ${result.seed} ${result.ok ? 'passed' : 'FAILED'} (${result.profile}, ${partitionsText(result.partitions)}, ${seconds(result.durationMs)}` +
    `${result.catchUpMs !== undefined ? `, caught up ${seconds(result.catchUpMs)} after the faults` : ''}): ` +
    `${result.counts.commands ?? 0} commands, ${result.counts.payments ?? 0} payments, ${transfers(result)}, ${result.counts['webhook deliveries'] ?? 0} webhook deliveries (${result.counts['webhook redeliveries'] ?? 0} again); ` +
    `request faults: ${faults || 'none'}; ` +
    `disruptions: ${result.counts.fault ?? 0}; leases taken from a gone worker: ${groupTakeovers(result)}`;
  if (result.ok && !withTrace) return line;
  const warnings = Object.entries(result.counts)
    .filter(([kind]) => kind.startsWith('warn:'))
    .sort(([, a], [, b]) => b - a)
    .map(([kind, n]) => `    ${n} × ${kind.slice(5)}`);
  return [
    line,
    ...(warnings.length ? ['  what the processes logged:', ...warnings.slice(0, 12)] : []),
    ...(result.ok ? [] : ['  broken:', ...result.failures.slice(0, 15).map((f) => `    - ${f}`)]),
    `  trace (replay: pnpm sim --seed ${result.seed} --partitions ${result.partitions}${result.transfers ? '' : ' --no-transfers'}):`,
    ...result.trace.map((t) => `    ${t}`),
  ].join('\n');
}

export function summary(results: SeedResult[], elapsedMs: number): string {
  const failed = results.filter((r) => !r.ok);
  const faults = results.reduce((n, r) => n + Object.entries(r.counts).filter(([k]) => k.startsWith('fault:')).reduce((m, [, v]) => m + v, 0), 0);
  const disruptions = results.reduce((n, r) => n + (r.counts.fault ?? 0), 0);
  const byPartitions = new Map<number, SeedResult[]>();
  for (const r of [...results].sort((a, b) => a.partitions - b.partitions)) byPartitions.set(r.partitions, [...(byPartitions.get(r.partitions) ?? []), r]);
  const catchUp = results.map((r) => r.catchUpMs).filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b);
  return [
    `${results.length} seeds in ${seconds(elapsedMs)}: ${results.length - failed.length} passed, ${failed.length} failed` +
      (failed.length ? ` (seeds ${failed.map((r) => r.seed).join(', ')})` : ''),
    `feed partitions: ${[...byPartitions].map(([p, seeds]) => `${p} in ${seeds.length} (${seeds.filter((r) => !r.ok).length} failed)`).join(', ') || 'none'}`,
    `${faults} request faults and ${disruptions} disruptions injected; ${results.reduce((n, r) => n + groupTakeovers(r), 0)} leases taken from a worker gone from its group; catch-up after the faults: median ${seconds(catchUp[Math.floor(catchUp.length / 2)] ?? 0)}, max ${seconds(catchUp[catchUp.length - 1] ?? 0)}`,
  ].join('\n');
}
