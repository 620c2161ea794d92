/**
 * A separate process running the counter context, for kill tests. The parent kills
 * it with SIGKILL at a random point. Configured through the environment:
 *   AZURE_STORAGE_CONNECTION_STRING, REDIS_URL, EVENTLOOM_PREFIX  where to work
 *   CHILD_WORKERS=0|1      run relay and projections here (default 1)
 *   CHILD_COUNTERS=N       spread increments over counters c0..c(N-1) (default 10)
 *   CHILD_CONCURRENCY=N    commands in flight (default 8)
 *   CHILD_LIMIT=N          stop appending after N commands (default: never)
 *   CHILD_LEASE_SECONDS=N  blob lease duration (default: the runtime's)
 * Prints one JSON line per event of interest: {"ready":true}, {"committed":n} every 10.
 */
import counter from '../../../counter-context/src/index.ts';
import { createRuntime } from '../../src/create-runtime.ts';
import { loadCoreConfig } from '../../src/config.ts';

const env = process.env;
const config = loadCoreConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL || 'silent' });
const workers = env.CHILD_WORKERS !== '0';
const counters = Number(env.CHILD_COUNTERS || 10);
const concurrency = Number(env.CHILD_CONCURRENCY || 8);
const limit = env.CHILD_LIMIT ? Number(env.CHILD_LIMIT) : Infinity;

const tuning = env.CHILD_LEASE_SECONDS ? { leaseSeconds: Number(env.CHILD_LEASE_SECONDS) } : {};
const runtime = await createRuntime({ contexts: [counter], config, workers, tuning });
const context = runtime.context('counter');
const say = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
say({ ready: true, pid: process.pid });

let started = 0;
let committed = 0;
async function lane(): Promise<void> {
  while (started < limit) {
    const n = started++;
    const id = `c${n % counters}`;
    try {
      await context.execute('counter', 'increment', { id, by: 1 + (n % 7) }, { principal: { sub: 'child', role: 'owner' } });
      committed++;
      if (committed % 10 === 0) say({ committed });
    } catch (error) {
      // A busy stream (409 problem after retries) is fine: nothing was written for it.
      if ((error as { status?: number }).status !== 409) say({ error: (error as Error).message });
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
say({ done: true, committed });
// Stay up (relaying, projecting) until killed.
setInterval(() => undefined, 1 << 30);
