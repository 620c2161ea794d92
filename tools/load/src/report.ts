import { writeFileSync } from 'node:fs';
import type { Verdict } from './checks.ts';
import type { Figures } from './figures.ts';

const ms = (value: number) => `${value} ms`;

/** The summary a person reads: volume, statuses, latencies, quotas, the ledger, then PASS/FAIL per check. */
export function summary(f: Figures, verdicts: Verdict[]): string {
  const lines: string[] = [];
  const add = (line = '') => lines.push(line);
  add(`load against ${f.gateway} (${f.mode}): ${f.clients} clients for ${(f.durationMs / 1000).toFixed(0)} s`);
  add(`  requests      ${f.requests.total} (${f.requests.perSecond}/s), ${Math.round(f.requests.hostileShare * 100)} % hostile`);
  const statuses = Object.entries(f.requests.statuses).sort(([a], [b]) => a.localeCompare(b));
  add(`  statuses      ${statuses.map(([status, n]) => `${status}×${n}`).join('  ')}`);
  add('  latency       category   count      p50       p99       max');
  for (const [category, l] of Object.entries(f.latency)) {
    add(`                ${category.padEnd(9)} ${String(l.count).padStart(6)} ${ms(l.p50).padStart(9)} ${ms(l.p99).padStart(9)} ${ms(l.max).padStart(9)}`);
  }
  const ping = f.health.storagePing;
  add(`  /health       p50 ${ms(f.health.p50)}, p99 ${ms(f.health.p99)}, max ${ms(f.health.max)} (${f.health.count} probes, ${f.health.failures} not 200); its storage ping p50 ${ms(ping.p50)}, p99 ${ms(ping.p99)}`);
  if (f.apiHealth) add(`  /health on the API port (info) p50 ${ms(f.apiHealth.p50)}, p99 ${ms(f.apiHealth.p99)}, max ${ms(f.apiHealth.max)} (${f.apiHealth.count} probes, ${f.apiHealth.failures} not 200)`);
  add('  timeline      from   answers   /health p50    p99        max   not 200');
  for (const w of f.timeline) {
    const [p50, p99, max] = w.health.count ? [w.health.p50, w.health.p99, w.health.max].map(ms) : ['–', '–', '–'];
    add(`                ${`${w.fromS}s`.padStart(4)} ${String(w.requests).padStart(9)} ${p50!.padStart(12)} ${p99!.padStart(10)} ${max!.padStart(10)} ${String(w.health.failures).padStart(9)}`);
  }
  const quotas = Object.entries(f.quotas);
  add(`  429s          ${quotas.length ? quotas.map(([quota, n]) => `${quota} ${n}`).join(', ') : 'none'}`);
  add(`  503s          ${f.unavailable}`);
  const kinds = Object.entries(f.hostile.kinds);
  add(`  hostile       ${kinds.length ? kinds.map(([kind, c]) => `${kind} ${c.asExpected}/${c.sent}`).join('; ') : 'none sent'}`);
  add(`  writes        ${f.writes.acknowledged} acknowledged, ${f.writes.refused} refused, ${f.writes.unanswered} without a clear answer (${f.settlement.resent} sent again, ${f.settlement.unresolved} still unclear)`);
  const r = f.settlement.rebuild;
  add(`  ledger        ${f.accounts.checked} accounts checked (${f.accounts.touched} written); caught up ${f.settlement.caughtUp ? `in ${ms(f.settlement.caughtUpMs)}` : 'NOT'}; balances rebuild ${r.state} in ${ms(r.ms)}${r.events !== undefined ? ` (${r.events} events)` : ''}`);
  const cpu = Object.entries(f.cpu);
  if (cpu.length) add(`  CPU           ${cpu.map(([name, percent]) => `${name} ${percent} %`).join(', ')} (of one core)`);
  const gatewayLoop = f.gatewayLoopDelay ? `gateway p99 ${ms(f.gatewayLoopDelay.p99Ms)}, max ${ms(f.gatewayLoopDelay.maxMs)}; ` : '';
  add(`  event loop    ${gatewayLoop}load generator p99 ${ms(f.generatorLoopDelayP99Ms)}`);
  if (f.backlog) add(`  backlog       ${f.backlog.mean} connections waiting to be accepted by the gateway on average, ${f.backlog.peak} at the peak`);
  const { cores, loadBefore } = f.machine;
  add(`  machine       ${cores} cores, load average ${loadBefore} before the run${loadBefore > cores ? ' (busy: other work skews these figures)' : ''}`);
  add();
  for (const v of verdicts) {
    add(`${v.pass ? 'PASS' : 'FAIL'}  ${v.name}`);
    for (const line of v.detail.slice(0, 25)) add(`        ${line}`);
    if (v.detail.length > 25) add(`        … ${v.detail.length - 25} more`);
  }
  return lines.join('\n');
}

/** `--json FILE`: the figures and verdicts, for comparing runs. */
export function writeJson(file: string, f: Figures, verdicts: Verdict[]): void {
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), figures: f, verdicts }, null, 2)}\n`);
}
