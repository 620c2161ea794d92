import type { Figures } from './figures.ts';

/** One named outcome of a run. */
export interface Verdict {
  name: string;
  pass: boolean;
  /** Why it failed (or a line of what it saw). */
  detail: string[];
}

export const checkNames = {
  alive: 'gateway never exited',
  network: 'no network errors on ordinary requests',
  serverErrors: 'no 5xx except 503 with Retry-After',
  hostile: 'hostile requests answered as expected',
  health: '/health p99 under 100 ms',
  ledger: 'nothing acknowledged lost or doubled',
  tool: 'the load tool ran without errors of its own',
} as const;

export const healthP99LimitMs = 100;

const money = (cents: number) => `${(cents / 100).toFixed(2)}`;

/** The verdicts on a run's figures; a run passes when every one does. */
export function judge(f: Figures): Verdict[] {
  const verdict = (name: string, detail: string[], pass = detail.length === 0): Verdict => ({ name, pass, detail });
  const { settlement: s } = f;
  const ledgerProblems = [
    ...(s.error ? [s.error] : []),
    ...(s.caughtUp ? [] : [`the banking projections did not catch up within 120 s`]),
    ...(s.unresolved > 0 ? [`${s.unresolved} writes never got a clear answer, even sent again with their keys; their accounts were not judged`] : []),
    ...s.mismatches.map((m) => `${m.account}: the ${m.where} shows ${money(m.got)}, acknowledged ${money(m.expected)} (${m.got > m.expected ? 'more' : 'less'} by ${money(Math.abs(m.got - m.expected))})`),
    ...(s.rebuild.state === 'done' ? [] : [`the balances rebuild ended ${s.rebuild.state}${s.rebuild.error ? `: ${s.rebuild.error}` : ''}`]),
  ];
  return [
    verdict(checkNames.alive, f.gatewayExit ? [`the gateway ${f.gatewayExit}`] : []),
    verdict(checkNames.network, f.networkErrors.map((i) => `${i.count}× ${i.route}: ${i.what} (e.g. ${i.example})`)),
    verdict(checkNames.serverErrors, f.serverErrors.map((i) => `${i.count}× ${i.route}: ${i.what} (e.g. ${i.example})`)),
    verdict(checkNames.hostile, [
      ...f.hostile.mismatches.map((m) => `${m.kind}: ${m.request} — expected ${m.expected}, got ${m.got}`),
      ...(f.hostile.mismatchCount > f.hostile.mismatches.length ? [`… ${f.hostile.mismatchCount - f.hostile.mismatches.length} more`] : []),
    ]),
    verdict(
      checkNames.health,
      [
        ...(f.health.count === 0 ? ['no /health answer was measured'] : []),
        ...(f.health.p99 >= healthP99LimitMs ? [`p99 was ${f.health.p99} ms (p50 ${f.health.p50} ms, max ${f.health.max} ms)`] : []),
        ...(f.health.failures > 0 ? [`${f.health.failures} of ${f.health.count} probes were not answered 200`] : []),
      ],
    ),
    verdict(checkNames.ledger, ledgerProblems),
    verdict(checkNames.tool, f.toolErrors.slice(0, 10).map((e) => `${e.step}: ${e.message}`)),
  ];
}
