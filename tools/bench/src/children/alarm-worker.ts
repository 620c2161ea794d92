/**
 * A worker process for the timer scenario: runs the alarms context's process sweep on the
 * bench's Azurite and Redis until the bench SIGKILLs it. Prints {"ready":true} once started.
 */
import { createRuntime, loadCoreConfig } from '@eventloom/core';
import { alarms } from '../alarms.ts';

await createRuntime({ contexts: [alarms], config: loadCoreConfig({ ...process.env, LOG_LEVEL: 'silent' }) });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
setInterval(() => undefined, 1 << 30);
