import { connect } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { azureTargets } from './limits.ts';
import { startThrottle, type ThrottleStats } from './throttle.ts';

/**
 * pnpm throttle                                  Azurite's Table service at :10002, Azure's targets
 * pnpm throttle --partition-rate 200 --verbose   a tighter partition, a stats line per second
 */
const program = new Command()
  .name('throttle')
  .description("A proxy in front of Azurite's Table service that answers 503 ServerBusy past Azure's per-partition and per-account targets.")
  .option('--table <url>', "Azurite's Table endpoint (loopback only)", 'http://127.0.0.1:10002')
  .option('--blob-port <n>', "Azurite's Blob port, on the Table endpoint's host (the printed connection string reaches Blob directly)", integer, 10000)
  .option('--port <n>', 'port of the throttle on 127.0.0.1 (0: any free one)', integer, 10012)
  .option('--partition-rate <n>', 'entities per second per table partition', positive, azureTargets.partitionRate)
  .option('--account-rate <n>', 'entities per second for the account', positive, azureTargets.accountRate)
  .option('--verbose', 'print passed and refused requests once a second')
  .showHelpAfterError();

// pnpm 12 hands the script a literal `--` before the user's arguments.
const argv = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
program.parse(argv, { from: 'user' });
const options = program.opts<{ table: string; blobPort: number; port: number; partitionRate: number; accountRate: number; verbose?: boolean }>();

const throttle = await startThrottle({ target: options.table, port: options.port, partitionRate: options.partitionRate, accountRate: options.accountRate }).catch(
  (error: Error) => program.error(`throttle: ${error.message}`),
);
const table = new URL(options.table);
const connectionString = throttle.connectionString(undefined, options.blobPort);

console.log(`throttle: ${throttle.url()} -> ${table.origin}, ${options.partitionRate} entities/s per partition, ${options.accountRate} per account`);
if (!(await answers(table.hostname, Number(table.port || 80)))) console.log(`throttle: nothing listens at ${table.origin} yet; start Azurite there`);
console.log('throttle: point Eventloom at it with');
console.log(`AZURE_STORAGE_CONNECTION_STRING='${connectionString}'`);

if (options.verbose) {
  let last: ThrottleStats = throttle.stats();
  setInterval(() => {
    const now = throttle.stats();
    const passed = now.passed - last.passed;
    const byPartition = now.refusedByPartition - last.refusedByPartition;
    const byAccount = now.refusedByAccount - last.refusedByAccount;
    if (passed + byPartition + byAccount > 0) {
      console.log(`${new Date().toISOString()} passed ${passed}/s refused ${byPartition + byAccount}/s (partition ${byPartition}, account ${byAccount}), partitions tracked ${now.trackedPartitions}`);
    }
    last = now;
  }, 1000);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void throttle.close().then(() => process.exit(0)));
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('a port number, 0-65535');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('a positive number');
  return n;
}
