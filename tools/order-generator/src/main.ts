#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { EventHubProducerClient } from '@azure/event-hubs';
import { GatewayClient } from '@eventloom/client';
import { eventHubSettings, generateCatalog, loadOrdersConfig, maxBatch, type EventHubSettings } from '@eventloom/orders-context';
import type { SampleMovie } from '@eventloom/orders-context/testing';
import { EventHubSender } from './event-hub-sender.ts';
import { GatewaySink } from './gateway-sink.ts';
import { run, type OrderSink, type Progress } from './run.ts';

const positive = (name: string, max = Number.MAX_SAFE_INTEGER) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`${name} must be a number above 0${max < Number.MAX_SAFE_INTEGER ? ` and at most ${max}` : ''}`);
  return n;
};
const fraction = (value: string) => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be between 0 and 1');
  return n;
};
const date = (value: string) => {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('must be an ISO 8601 date, e.g. 2026-01-01 or 2026-01-01T00:00:00Z');
  return d;
};

const program = new Command('order-generator')
  .description('Sends seed-shaped movie orders (seed 004) to an Eventloom gateway at a chosen rate.')
  .option('--rate <orders/s>', 'orders per second', positive('rate', 100_000), 50)
  .option('--duration <seconds>', 'how long to send', positive('duration', 86_400), 30)
  .option('--gateway <url>', 'the gateway (default: $GATEWAY_URL, as for the portal and ./eventloom rebuild)', process.env.GATEWAY_URL ?? 'http://127.0.0.1:8787')
  .option('--user <name>', 'account to sign in with (needs the admin role)', 'admin')
  .option('--password <password>', 'its password (default: $EVENTLOOM_PASSWORD, else the local accounts file of ./eventloom up)')
  .option('--from <date>', 'spread OrderDate from this date until now (or --days after it)', date)
  .option('--days <n>', 'spread OrderDate over this many days (ending now, or starting at --from)', positive('days', 3650))
  .option('--batch <n>', `most orders per request (at most ${maxBatch})`, positive('batch', maxBatch), 100)
  .option('--concurrency <n>', 'requests in flight at most', positive('concurrency', 64), 4)
  .option('--seed <n>', 'same seed, same orders (a re-run then sends duplicates); default: random', positive('seed', 2 ** 31))
  .option('--invalid <fraction>', 'share of orders to break on purpose, to see rejections', fraction, 0)
  .option('--resend <fraction>', 'share of orders that re-send an earlier one, to see duplicates', fraction, 0)
  .option('--eventhub [connection-string]', 'send to Azure Event Hubs instead of the gateway (default: $ORDERS_EVENTHUB_CONNECTION_STRING)')
  .option('--eventhub-name <name>', 'the event hub (default: $ORDERS_EVENTHUB_NAME, or EntityPath= in the connection string)')
  // `pnpm --filter … start -- --rate 5`: pnpm 12 hands the program the literal `--`.
  .parse(process.argv.filter((arg, i) => !(i === 2 && arg === '--')));

const options = program.opts<{
  rate: number;
  duration: number;
  gateway: string;
  user: string;
  password?: string;
  from?: Date;
  days?: number;
  batch: number;
  concurrency: number;
  seed?: number;
  invalid: number;
  resend: number;
  eventhub?: string | true;
  eventhubName?: string;
}>();

/** The dev convenience file `./eventloom up` writes (git-ignored): plain passwords of local accounts. */
async function localPassword(user: string): Promise<string | undefined> {
  const home = process.env.EVENTLOOM_HOME ?? fileURLToPath(new URL('../../../.eventloom', import.meta.url));
  try {
    const file = JSON.parse(await readFile(join(home, 'accounts.json'), 'utf8')) as { accounts: { username: string; password: string }[] };
    return file.accounts.find((a) => a.username === user)?.password;
  } catch {
    return undefined;
  }
}

function dateRange(): { from?: Date; to?: Date } {
  const day = 86_400_000;
  if (options.from && options.days) return { from: options.from, to: new Date(Math.min(Date.now(), options.from.getTime() + options.days * day)) };
  if (options.from) return { from: options.from, to: new Date() };
  if (options.days) return { from: new Date(Date.now() - options.days * day), to: new Date() };
  return {};
}

/** The hub to send to, read as the worker reads it (the ORDERS_EVENTHUB_* variables), the options taking precedence. */
function eventHubOf(option: string | true): EventHubSettings {
  const env = { ...process.env };
  if (typeof option === 'string') env.ORDERS_EVENTHUB_CONNECTION_STRING = option;
  if (options.eventhubName) env.ORDERS_EVENTHUB_NAME = options.eventhubName;
  if (!env.ORDERS_EVENTHUB_CONNECTION_STRING) throw new Error('--eventhub needs a connection string: set ORDERS_EVENTHUB_CONNECTION_STRING (or pass it after --eventhub).');
  return eventHubSettings(loadOrdersConfig(env))!;
}

/** Where the orders go, and the movies they name: the gateway's catalog, or for an event hub the demo catalog the store was seeded with. */
async function target(): Promise<{ sink: OrderSink; movies: SampleMovie[]; where: string; close: () => Promise<void> } | string> {
  if (options.eventhub !== undefined) {
    const hub = eventHubOf(options.eventhub);
    const producer = hub.eventHubName ? new EventHubProducerClient(hub.connectionString, hub.eventHubName) : new EventHubProducerClient(hub.connectionString);
    // ORDERS_CATALOG_SEED / ORDERS_CATALOG_MOVIES as the worker's store was seeded: the same movie ids and prices.
    const config = loadOrdersConfig();
    const movies = generateCatalog(config.ORDERS_CATALOG_SEED, config.ORDERS_CATALOG_MOVIES).movies.map((m) => ({ id: m.id, priceCents: m.priceCents }));
    return { sink: new EventHubSender(producer), movies, where: `event hub ${producer.eventHubName} (${producer.fullyQualifiedNamespace})`, close: () => producer.close() };
  }
  const password = options.password ?? process.env.EVENTLOOM_PASSWORD ?? (await localPassword(options.user));
  if (!password) return `No password for ${options.user}: pass --password, set EVENTLOOM_PASSWORD, or start the stack with ./eventloom up.`;
  const client = new GatewaySink(new GatewayClient({ baseUrl: options.gateway }));
  await client.signIn(options.user, password);
  const movies = await client.movies();
  if (movies.length === 0) return 'The catalog is empty: the gateway seeds it on first start; wait a moment and try again.';
  return { sink: client, movies, where: options.gateway, close: async () => undefined };
}

async function main(): Promise<number> {
  const chosen = await target();
  if (typeof chosen === 'string') {
    process.stderr.write(`${chosen}\n`);
    return 2;
  }
  const { sink, movies, where } = chosen;
  try {
    return await send(sink, movies, where);
  } finally {
    await chosen.close();
  }
}

async function send(sink: OrderSink, movies: SampleMovie[], where: string): Promise<number> {
  const toHub = options.eventhub !== undefined;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const range = dateRange();
  process.stderr.write(
    `Sending ${Math.round(options.rate * options.duration)} orders at ${options.rate}/s to ${where} (seed ${seed}, ${movies.length} movies` +
      `${range.from ? `, dated ${range.from.toISOString().slice(0, 10)} to ${range.to!.toISOString().slice(0, 10)}` : ', dated now'})\n`,
  );
  const bar = new cliProgress.SingleBar(
    {
      format: toHub
        ? 'orders |{bar}| {value}/{total} | enqueued {enqueued} · failed {failed} | {eta_formatted}'
        : 'orders |{bar}| {value}/{total} | stored {stored} · duplicate {duplicates} · rejected {rejected} · failed {failed} | {eta_formatted}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const counts = (p: Progress) => ({ stored: p.stored, duplicates: p.duplicates, rejected: p.rejected, enqueued: p.enqueued, failed: p.failed });
  const total = Math.round(options.rate * options.duration);
  bar.start(total, 0, { stored: 0, duplicates: 0, rejected: 0, enqueued: 0, failed: 0 });
  const summary = await run(sink, movies, {
    rate: options.rate,
    durationSeconds: options.duration,
    batch: options.batch,
    concurrency: options.concurrency,
    seed,
    ...range,
    invalid: options.invalid,
    resend: options.resend,
    onProgress: (p) => bar.update(p.sent, counts(p)),
  });
  bar.stop();
  const accepted = summary.stored + summary.duplicates;
  const counted = toHub
    ? `enqueued ${summary.enqueued} (the worker's Event Hubs source stores or refuses them), failed ${summary.failed}`
    : `accepted ${accepted} (stored ${summary.stored}, duplicate ${summary.duplicates}), rejected ${summary.rejected}, failed ${summary.failed}`;
  process.stdout.write(`${counted} — ${summary.sent} orders in ${summary.seconds.toFixed(1)} s (${(summary.sent / Math.max(summary.seconds, 0.001)).toFixed(0)}/s)\n`);
  for (const errors of summary.errors) process.stdout.write(`  rejected: ${JSON.stringify(errors)}\n`);
  for (const failure of summary.failures) process.stdout.write(`  failed: ${failure}\n`);
  return summary.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
