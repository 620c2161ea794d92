import { parentPort, workerData } from 'node:worker_threads';

/**
 * The /health probe, in a thread of its own so the load generator's busy event loop does
 * not add to the latencies it measures. Asks every `everyMs`, without waiting for slow
 * answers; on "stop" it waits for those in flight and posts every sample.
 */
export interface HealthSample {
  /** When it was asked, in ms since the probe started. */
  at: number;
  ms: number;
  /** 0 when no answer came. */
  status: number;
  /** How long the gateway's storage ping took, as /health reports it. */
  storageMs?: number;
  /** The Retry-After header, when the answer had one. */
  retryAfter?: string;
  error?: string;
}

const { url, everyMs } = workerData as { url: string; everyMs: number };
const samples: HealthSample[] = [];
const began = performance.now();
const inFlight = new Set<Promise<void>>();

async function ask(): Promise<void> {
  const started = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    const ms = performance.now() - started;
    let storageMs: number | undefined;
    try {
      storageMs = (JSON.parse(text) as { storage?: { latencyMs?: number } }).storage?.latencyMs;
    } catch {
      // not the health JSON: the status says enough
    }
    const retryAfter = response.headers.get('retry-after') ?? undefined;
    samples.push({ at: started - began, ms, status: response.status, ...(storageMs !== undefined ? { storageMs } : {}), ...(retryAfter ? { retryAfter } : {}) });
  } catch (error) {
    const { name, message, cause } = error as Error & { cause?: { code?: string } };
    samples.push({ at: started - began, ms: performance.now() - started, status: 0, error: cause?.code ?? (name === 'TimeoutError' ? 'no answer within 10 s' : message) });
  }
}

const timer = setInterval(() => {
  const asking = ask().finally(() => inFlight.delete(asking));
  inFlight.add(asking);
}, everyMs);

parentPort!.on('message', async (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  await Promise.all(inFlight);
  parentPort!.postMessage(samples);
});
