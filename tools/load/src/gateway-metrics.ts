/**
 * The gateway's own event-loop delay, from its /metrics. prom-client's figures cover the
 * time since the previous scrape: scrape once as the load begins (to start afresh) and
 * once as it ends. A high delay means the gateway's CPU, not its storage, held requests.
 */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

export async function gatewayLoopDelay(gatewayUrl: string): Promise<LoopDelay | undefined> {
  try {
    const response = await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    const seconds = (name: string) => Number(new RegExp(`^\\w*nodejs_eventloop_lag_${name}_seconds(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    const [p99, max] = [seconds('p99'), seconds('max')];
    if (!Number.isFinite(p99) || !Number.isFinite(max)) return undefined;
    return { p99Ms: Math.round(p99 * 10_000) / 10, maxMs: Math.round(max * 10_000) / 10 };
  } catch {
    return undefined;
  }
}
