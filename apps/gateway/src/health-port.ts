import { Worker } from 'node:worker_threads';
import type { HealthProbe } from './health.ts';

export interface HealthPortOptions {
  port: number;
  host: string;
  /** How often the main thread probes storage and Redis for it (default 1 s). */
  probeEveryMs?: number;
  /** The main event loop counts as blocked once it has not beaten for this long (default 2 s). */
  blockedMs?: number;
  /** A connection whose request has not arrived whole by then is closed (default 5 s). */
  requestTimeoutMs?: number;
}

export interface HealthPort {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/health` and `/health/live` on a port of their own, answered by a thread of their own.
 * The gateway's event loop accepts one new connection per turn (libuv), so under a flood
 * a health check on the API port waits in the accept queue behind every other client,
 * however fast its handler: a supervisor would then restart a gateway that is only busy.
 * This thread's loop does nothing else. The main thread beats four times a second into
 * shared memory and hands over each probe of storage and Redis; the thread answers
 * `/health/live` from the beat alone (503 once the main loop has been stuck for
 * `blockedMs`: a wedged gateway is still found out) and `/health` from both.
 */
export async function startHealthPort(probe: HealthProbe, options: HealthPortOptions): Promise<HealthPort> {
  const beat = new SharedArrayBuffer(8);
  const lastBeat = new Float64Array(beat);
  lastBeat[0] = Date.now();
  const worker = new Worker(new URL('./health-thread.ts', import.meta.url), {
    workerData: { host: options.host, port: options.port, beat, blockedMs: options.blockedMs ?? 2_000, requestTimeoutMs: options.requestTimeoutMs ?? 5_000 },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { listening: number }) => resolve(message.listening));
    worker.once('error', reject);
  });
  const beating = setInterval(() => (lastBeat[0] = Date.now()), 250);
  const publish = async () => {
    const startedAt = Date.now();
    const { health, ageMs } = await probe.current();
    worker.postMessage({ health, startedAt: startedAt - ageMs });
  };
  await publish();
  const probing = setInterval(() => void publish().catch(() => undefined), options.probeEveryMs ?? 1_000);
  beating.unref();
  probing.unref();
  worker.unref();
  return {
    port,
    async close() {
      clearInterval(beating);
      clearInterval(probing);
      await worker.terminate();
    },
  };
}
