/**
 * A separate process ingesting orders, for the ingest kill test: the parent kills it
 * with SIGKILL at a random moment. No workers (a writer only: the parent's fresh
 * runtime relays). Configured through the environment:
 *   AZURE_STORAGE_CONNECTION_STRING, REDIS_URL, EVENTLOOM_PREFIX  where to work
 *   CHILD_SEED, CHILD_BATCHES, CHILD_BATCH_SIZE   which orders (see order-batches.ts)
 *   CHILD_CONCURRENCY=N   batches in flight (default 2)
 * Prints JSON lines: {"ready":true}, then per acknowledged batch
 * {"acked":i,"stored":n,"duplicates":m} (i the batch index), then {"done":true}.
 */
import { createRuntime, loadCoreConfig } from '@eventloom/core';
import orders from '../../src/index.ts';
import { principals } from '../../src/testing.ts';
import { orderBatches } from './order-batches.ts';

const env = process.env;
const config = loadCoreConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL || 'silent' });
const batches = orderBatches({ seed: Number(env.CHILD_SEED || 1), batches: Number(env.CHILD_BATCHES || 20), size: Number(env.CHILD_BATCH_SIZE || 100) });
const concurrency = Number(env.CHILD_CONCURRENCY || 2);

const runtime = await createRuntime({ contexts: [orders], config, workers: false });
const context = runtime.context('orders');
const say = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
say({ ready: true, pid: process.pid });

let next = 0;
async function lane(): Promise<void> {
  while (next < batches.length) {
    const index = next++;
    try {
      const results = await context.ingest(batches[index]!, { principal: principals.admin });
      const count = (status: string) => results.filter((r) => r.status === status).length;
      say({ acked: index, stored: count('stored'), duplicates: count('duplicate'), results: results.length });
    } catch (error) {
      say({ failed: index, error: (error as Error).message });
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
say({ done: true });
// Stay up until killed.
setInterval(() => undefined, 1 << 30);
