/**
 * A second process with its own category cache on the test's storage and Redis
 * (no workers: the parent runs relay and projections). Configured through the
 * environment (AZURE_STORAGE_CONNECTION_STRING, REDIS_URL, EVENTLOOM_PREFIX,
 * ORDERS_CACHE_WATCH_MS). Reads JSON lines on stdin — {"req":1,"op":"get","id":4},
 * {"op":"list"}, {"op":"stats"} — and answers each with one JSON line carrying its req.
 */
import { createInterface } from 'node:readline';
import { createRuntime, loadCoreConfig } from '@eventloom/core';
import orders, { categoryCacheOf } from '../../src/index.ts';

const config = loadCoreConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL || 'silent' });
const runtime = await createRuntime({ contexts: [orders], config, workers: false });
const cache = await categoryCacheOf(runtime.context('orders'));
await cache.start();
const say = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
say({ ready: true, pid: process.pid, levels: cache.levels });

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line) as { req: number; op: 'get' | 'list' | 'stats'; id?: number };
  try {
    if (request.op === 'get') say({ req: request.req, category: await cache.get(request.id!) });
    else if (request.op === 'list') say({ req: request.req, categories: await cache.list() });
    else say({ req: request.req, stats: cache.stats() });
  } catch (error) {
    say({ req: request.req, error: (error as Error).message });
  }
}
await cache.close();
await runtime.close();
process.exit(0);
