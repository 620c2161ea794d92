/**
 * A worker process for the workers scenario: runs the counter contexts' relays and
 * projections on the bench's Azurite and Redis until the bench SIGKILLs it. Prints
 * {"ready":true,"worker":id} once started.
 */
import { createRuntime, loadCoreConfig } from '@eventloom/core';
import counter from '@eventloom/counter-context';

const names = (process.env.BENCH_CONTEXTS ?? 'counter').split(',');
const runtime = await createRuntime({ contexts: names.map((name) => ({ ...counter, name })), config: loadCoreConfig({ ...process.env, LOG_LEVEL: 'silent' }) });
const stats = await runtime.stats();
process.stdout.write(`${JSON.stringify({ ready: true, contexts: stats.length })}\n`);
setInterval(() => undefined, 1 << 30);
