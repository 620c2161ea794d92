import { Worker } from 'node:worker_threads';
import type { HealthSample } from './probe-thread.ts';

export type { HealthSample };

/** What the probe's answers are counted under, apart from the hostile mix's own /health requests. */
export const probeRoute = 'GET /health (probe)';

export interface Probe {
  /** Stops asking; resolves with every sample once the last answer is in. */
  stop(): Promise<HealthSample[]>;
}

/** Asks `GET {gatewayUrl}/health` every `everyMs` (10 a second by default) from a thread of its own. */
export function startProbe(gatewayUrl: string, everyMs = 100): Probe {
  const worker = new Worker(new URL('./probe-thread.ts', import.meta.url), { workerData: { url: `${gatewayUrl}/health`, everyMs } });
  return {
    async stop() {
      const samples = new Promise<HealthSample[]>((resolve, reject) => {
        worker.once('message', (message: HealthSample[]) => resolve(message));
        worker.once('error', reject);
      });
      worker.postMessage('stop');
      const result = await samples;
      await worker.terminate();
      return result;
    },
  };
}
