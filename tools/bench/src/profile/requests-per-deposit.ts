/**
 * Where a deposit's storage requests go: deposits through createGateway's in-process app
 * (relay and projections in the same process, as in bench B1 and B2) on the Azurite at
 * AZURE_STORAGE_CONNECTION_STRING, every HTTP request to it tallied by method and table
 * or blob (counted on Node's HTTP client), printed per deposit.
 * By default N deposits one after another with `Prefer: wait` (B1's shape); with
 * `CLIENTS=32`, N deposits from 32 clients, answered once stored (B2's).
 * `N=200 node tools/bench/src/profile/requests-per-deposit.ts`
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { banking, bankingGateway } from '../banking-gateway.ts';
import { startRuntime } from '../env.ts';

const connectionString = process.env.AZURE_STORAGE_CONNECTION_STRING;
if (!connectionString) throw new Error('set AZURE_STORAGE_CONNECTION_STRING (an Azurite)');
const deposits = Number(process.env.N ?? 200);
const clients = Math.max(1, Number(process.env.CLIENTS ?? 1));
const mode = clients === 1 ? 'one after another, Prefer: wait' : `${clients} clients`;
const prefix = `req${Date.now().toString(36)}`;

const tally = new Map<string, number>();
let counting = false;
subscribe('http.client.request.start', (message) => {
  if (!counting) return;
  const request = (message as { request: ClientRequest }).request;
  // `/devstoreaccount1/req…ViewBalances(PartitionKey='…',RowKey='…')?…` → `PUT ViewBalances(…)`
  const target = request.path.split('?')[0]!.replace(/^\/[^/]+\//, '').replace(prefix, '').replace(/\(.*\)$/, '(…)');
  const key = `${request.method} ${target}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
});

const home = await mkdtemp(join(tmpdir(), 'eventloom-requests-'));
const bench = await startRuntime(connectionString, prefix, { workers: true, contexts: [banking] });
const { deposit } = await bankingGateway(bench.runtime, home);

// Accounts opened and every loop warm before counting.
await Promise.all(Array.from({ length: 32 }, (_, i) => deposit(`R${i}`, true)));
await new Promise((resolve) => setTimeout(resolve, 1500));
counting = true;
const started = performance.now();
if (clients === 1) {
  for (let i = 0; i < deposits; i++) await deposit(`R${i % 32}`, true);
} else {
  await Promise.all(
    Array.from({ length: clients }, async (_, w) => {
      for (let i = w; i < deposits; i += clients) await deposit(`R${w % 32}`, false);
    }),
  );
}
const seconds = (performance.now() - started) / 1000;
// What the deposits set off after their answers (views, checkpoints) belongs to them too.
await new Promise((resolve) => setTimeout(resolve, 2000));
counting = false;

let total = 0;
console.log(`${deposits} deposits (${mode}) in ${seconds.toFixed(1)} s; storage requests per deposit:`);
for (const [key, count] of [...tally].sort((a, b) => b[1] - a[1])) {
  total += count;
  console.log(`${(count / deposits).toFixed(2).padStart(7)}  ${key}`);
}
console.log(`${(total / deposits).toFixed(2).padStart(7)}  in all`);
await bench.close();
await rm(home, { recursive: true, force: true });
process.exit(0);
