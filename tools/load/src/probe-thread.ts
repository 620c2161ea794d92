import { parentPort, workerData } from 'node:worker_threads';

/**
 * The /health probe, in a thread of its own so the load generator's busy event loop does
 * not add to the latencies it measures. Asks every `everyMs`, without waiting for slow
 * answers; on "stop" it waits for those in flight and posts every sample.
 */
export interface HealthSample {
  ms: number;
  /** 0 when no answer came. */
  status: number;
  error?: string;
}

const { url, everyMs } = workerData as { url: string; everyMs: number };
const samples: HealthSample[] = [];
const inFlight = new Set<Promise<void>>();

async function ask(): Promise<void> {
  const started = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    samples.push({ ms: performance.now() - started, status: response.status });
  } catch (error) {
    const { name, message, cause } = error as Error & { cause?: { code?: string } };
    samples.push({ ms: performance.now() - started, status: 0, error: cause?.code ?? (name === 'TimeoutError' ? 'no answer within 10 s' : message) });
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
