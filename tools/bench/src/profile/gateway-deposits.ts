/**
 * Profiles the gateway's deposit path (bench B2's work) for `node --cpu-prof`: 32 clients
 * post deposits through createGateway's in-process app on the Azurite at
 * AZURE_STORAGE_CONNECTION_STRING for DURATION_MS (default 10 s), then print the rate.
 * WORKERS=0 runs the gateway alone (no relay, no projections): what the HTTP path costs.
 * `node --cpu-prof --cpu-prof-dir=/tmp/prof tools/bench/src/profile/gateway-deposits.ts`
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { banking, bankingGateway } from '../banking-gateway.ts';
import { startRuntime } from '../env.ts';

const connectionString = process.env.AZURE_STORAGE_CONNECTION_STRING;
if (!connectionString) throw new Error('set AZURE_STORAGE_CONNECTION_STRING (an Azurite)');
const durationMs = Number(process.env.DURATION_MS ?? 10_000);
const home = await mkdtemp(join(tmpdir(), 'eventloom-prof-'));
const bench = await startRuntime(connectionString, `prof${Date.now().toString(36)}`, { workers: process.env.WORKERS !== '0', contexts: [banking] });
const gateway = await bankingGateway(bench.runtime, home);
const deposit = (customer: string) => gateway.deposit(customer, false);
await Promise.all(Array.from({ length: 32 }, (_, w) => deposit(`P${w}`)));
let done = 0;
const until = performance.now() + durationMs;
await Promise.all(
  Array.from({ length: 32 }, async (_, w) => {
    while (performance.now() < until) {
      await deposit(`P${w}`);
      done++;
    }
  }),
);
console.log(`${done} deposits in ${durationMs} ms: ${Math.round((done * 1000) / durationMs)}/s`);
await bench.close();
await rm(home, { recursive: true, force: true });
