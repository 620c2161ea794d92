import { readBlobText, type DeadLetter, type Storage } from '@eventloom/core';
import { storeEvents, wholeFeed } from '@eventloom/core/testing';
import { checkFeed, checkOperations, checkPartitions, checkViews, FeedTail, type Exclusions } from './checks.ts';
import { drawDisruptions, drawProfile, type Disruption } from './faults.ts';
import { fixedOps, publishedTypes } from './ledger.ts';
import { drawPartitions, ledgerFeed, ledgerPartitions, partitionsText } from './ledger-feed.ts';
import { checkTransfers, unfinishedTransfers } from './transfers.ts';
import { Random } from './random.ts';
import { Trace } from './trace.ts';
import { Receiver, subscribe } from './webhooks.ts';
import { Workload } from './workload.ts';
import type { SimProcess } from './process.ts';
import { simTuning, sleep, World, type SimEnvironment } from './world.ts';

/**
 * After the faults stop, everything has caught up within this: a killed worker's leases
 * expire (15 s), a standby takes them over (within a renewal period, 5 s), a lost hint
 * is found once its stream's marker is quiet (3.5 s here) and the views follow.
 */
export const catchUpBoundMs = 45_000;
/**
 * Plus the work left at the heal (events not yet in every view, published events not yet
 * delivered) at this many events per second: six seeds at once on two cores deliver
 * webhooks one at a time at 60-200 per second each, and a stalled consumer never catches up.
 */
export const catchUpMinRate = 40;

export interface SeedOptions {
  /** Length of the phase of disruptions, and the pace of the clients' work (default drawn: 8-16 s). */
  activeMs?: number;
  /** The ledger's feed partitions (default drawn from the seed: 1, 2, 4 or 8). */
  partitions?: number;
  /** Print the trace as it happens. */
  verbose?: boolean;
  /**
   * Money moved by the ledger's transfer process beside the other clients (default on).
   * A regression seed replays the run that once broke, recorded before transfers existed: off.
   */
  transfers?: boolean;
  /** Told when the faults start and when they stop: a long run shows it is alive before its first result. */
  onProgress?: (line: string) => void;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  profile: string;
  /** The ledger's feed partitions. */
  partitions: number;
  /** Whether the ledger ran its transfer process. */
  transfers: boolean;
  failures: string[];
  /** What was done and what struck: operations, faults by kind, disruptions. */
  counts: Record<string, number>;
  /** Milliseconds from the heal until the feed and every view had caught up. */
  catchUpMs: number | undefined;
  durationMs: number;
  /** The last steps before the end, for a failure report. */
  trace: string[];
}

/** Runs one seed end to end: a system under faults, then the heal, then every invariant. */
export async function runSeed(seed: number, env: SimEnvironment, options: SeedOptions = {}): Promise<SeedResult> {
  const started = performance.now();
  const random = new Random('eventloom-sim', seed);
  const profile = drawProfile(random.fork('profile'));
  const partitions = options.partitions ?? drawPartitions(random.fork('partitions'));
  const trace = new Trace();
  const world = new World(seed, env, profile, partitions, random, trace, options.transfers ?? true);
  const activeMs = options.activeMs ?? random.fork('length').int(8_000, 16_000);
  const disruptions = drawDisruptions(random.fork('disruptions'), activeMs, profile, partitions);
  // The transfer process's sweep lease, broken under its holder now and then (its own draws: the others stay as they were).
  const processFaults = random.fork('process-faults');
  if (world.transfers && processFaults.chance(0.5)) disruptions.push({ at: processFaults.int(500, activeMs - 500), kind: 'steal-lease', lease: 'process-transfer' });
  const failures: string[] = [];
  const workload = new Workload(world);
  let catchUpMs: number | undefined;
  const receiver = await Receiver.start(seed);
  trace.note('plan', `seed ${seed}: ${profile.name}, ${partitionsText(partitions)}, ${activeMs} ms active, ${disruptions.map((d) => `${d.kind}@${d.at}`).join(' ') || 'no disruptions'}`);
  try {
    const gateways = random.fork('gateways').int(1, 2);
    const workers = random.fork('workers').int(1, 3);
    for (let i = 0; i < gateways; i++) await world.spawn('gateway');
    for (let i = 0; i < workers; i++) await world.spawn('worker');
    // A consumer system subscribed to the ledger's published events by webhook.
    await subscribe(world.alive('gateway')[0]!.runtime, world.sealingKey, receiver.url);

    const tail = watchFeed(world, failures);
    const holders = watchHolders(world);
    const rows = watchViewRows(world, failures);
    world.faultsOn = true;
    receiver.faultsOn = true;
    // The clients' operations are drawn, not timed; a run that stalls is cut off anyway.
    const cutOff = performance.now() + 6 * activeMs;
    let clientsDone = false;
    const clients = random.fork('clients').int(3, 6);
    const some = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    options.onProgress?.(`seed ${seed} running: ${some(gateways, 'gateway')}, ${some(workers, 'worker')}, ${clients} clients, ${partitionsText(partitions)}, ${profile.name} faults for ${(activeMs / 1000).toFixed(1)} s`);
    const operations = Math.round((activeMs / 1000) * random.fork('pace').int(2, 4));
    await hangsAfter(
      Promise.all([
        workload.run(clients, operations, () => performance.now() > cutOff).finally(() => (clientsDone = true)),
        ...disruptions.map((d) => carryOut(world, d)),
        resolveDeadLetters(world, random.fork('letters'), () => clientsDone),
      ]),
      8 * activeMs + 60_000,
      'the clients and disruptions',
    );

    world.heal();
    receiver.faultsOn = false;
    options.onProgress?.(`seed ${seed}: faults stopped after ${(trace.elapsed / 1000).toFixed(1)} s; catching up`);
    if (world.alive('worker').length === 0) await world.spawn('worker');
    if (world.alive('gateway').length === 0) await world.spawn('gateway');
    const healed = performance.now();
    const caughtUp = await drain(world, trace, receiver, workload);
    catchUpMs = caughtUp ? Math.round(performance.now() - healed) : undefined;
    tail.stop();
    holders.stop();
    rows.stop();
    failures.push(...(await finalChecks(world, workload, caughtUp, receiver)));
  } catch (error) {
    failures.push(`the run itself failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    for (const op of [...fixedOps]) if (op.startsWith(`s${seed}o`)) fixedOps.delete(op);
    await world.close().catch(() => undefined);
    await receiver.close().catch(() => undefined);
    if (failures.length === 0) await world.clean().catch(() => undefined);
  }
  for (const failure of failures.slice(0, 20)) trace.note('FAILED', failure);
  trace.count('commands', workload.book.commands.length);
  trace.count('payments', workload.book.ingested.size);
  return {
    seed,
    ok: failures.length === 0,
    profile: profile.name,
    partitions,
    transfers: world.transfers,
    failures,
    counts: trace.counts,
    catchUpMs,
    durationMs: Math.round(performance.now() - started),
    trace: trace.tail(failures.length > 0 ? 120 : 20),
  };
}

/** The work, or an error once it has taken `ms` (a run must end, whatever hangs). */
async function hangsAfter<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Carries out a disruption at its moment; rebuilds go through an admin's hands. */
async function carryOut(world: World, disruption: Disruption): Promise<void> {
  await sleep(disruption.at);
  if (disruption.kind !== 'rebuild') return world.disrupt(disruption);
  const gateway = world.alive('gateway')[0];
  if (!gateway) return;
  const rebuilds = gateway.runtime.context('ledger').rebuilds;
  const requested = await rebuilds.request(disruption.projection, 'sim-admin').catch((error: Error) => error);
  world.trace.note('admin', `rebuild of ${disruption.projection} requested: ${requested instanceof Error ? requested.message : requested.state}`);
  if (requested instanceof Error) return;
  await sleep(world.random.fork('rebuild-wait').int(200, 2500));
  if (disruption.then === 'cancel') {
    const cancelled = await rebuilds.cancel(disruption.projection).catch((error: Error) => error);
    world.trace.note('admin', `rebuild of ${disruption.projection} cancel: ${cancelled instanceof Error ? cancelled.message : cancelled.state}`);
  } else if (disruption.then === 'crash') {
    const holder = world.alive('worker').find((p) => p.runtime.footprint().projections.some((r) => r.name === disruption.projection && r.active));
    if (holder) {
      holder.kill('deliver');
      world.trace.note('fault', `killed ${holder.name} while it rebuilt ${disruption.projection}`);
      await sleep(500);
      await world.spawn('worker');
    }
  }
}

/**
 * The admin's side of the shipped bug: parked events of `audit` are retried once the bug
 * is "fixed" for them, or skipped. After the heal, every letter still parked is settled.
 */
async function resolveDeadLetters(world: World, random: Random, until: () => boolean): Promise<void> {
  while (!until()) {
    await sleep(1500);
    await settleLetters(world, random).catch(() => undefined);
  }
}

async function settleLetters(world: World, random: Random): Promise<number> {
  const gateway = world.alive('gateway')[0];
  if (!gateway) return 0;
  const context = gateway.runtime.context('ledger');
  let settled = 0;
  for (const letter of await context.deadLetters('audit')) {
    // An admin whose gateway died goes to another one on the next pass (each request to a
    // dead gateway fails only after the SDK's retries: a long list would outlast the run).
    if (!gateway.alive) break;
    if (letter.state !== 'parked') continue;
    const retry = random.chance(0.6);
    if (retry) {
      // The fix ships for this operation: its handler will succeed from now on.
      const [entry] = await ledgerFeed(world.storage, world.partitions).read(letter.seq - 1, 1);
      fixedOps.add((entry!.data as { op: string }).op);
    }
    await context.resolveDeadLetter('audit', letter.seq, retry ? 'retry' : 'skip').then(
      () => world.trace.note('admin', `dead letter seq ${letter.seq} ${retry ? 'retried' : 'skipped'}`),
      (error: Error) => world.trace.note('admin', `dead letter seq ${letter.seq} not resolved: ${error.message}`),
    );
    settled++;
  }
  return settled;
}

/**
 * Reads the feed as consumers do as it grows, and each partition of a partitioned feed as
 * its relay writes it: a gap, a repeated event (in one partition or across two), or a
 * stream out of its partition is reported the moment it appears.
 */
function watchFeed(world: World, failures: string[]): { stop(): void } {
  const { storage, partitions, trace } = world;
  const tails = [{ feed: ledgerFeed(storage, partitions), tail: new FeedTail('feed') }];
  if (partitions > 1) {
    const ids = new Set<string>();
    ledgerPartitions(storage, partitions).forEach((feed, p) => tails.push({ feed, tail: new FeedTail(`feed partition ${p}`, { index: p, of: partitions }, ids) }));
  }
  let stopped = false;
  let unreadable = false;
  void (async () => {
    while (!stopped) {
      await sleep(500);
      for (const { feed, tail } of tails) {
        const rows = await feed.rowsAfter(tail.after, 1000).catch((error: Error) => {
          // Storage is reached past the faults: the merged feed fails to read only when its journal names entries a partition lacks.
          if (!unreadable && /merge journal/.test(error.message)) failures.push(`feed: ${error.message} (seen at ${trace.elapsed} ms)`);
          unreadable ||= /merge journal/.test(error.message);
          return [];
        });
        failures.push(...tail.take(rows, trace.elapsed));
      }
    }
  })();
  return { stop: () => (stopped = true) };
}

/**
 * Reads the views as a reader would, again and again, and reports a row that went back
 * to an older seq: a write of a runner that lost its lease landed over its successor's.
 * (The successor's next write of that row would hide it, so the final check alone
 * misses it.)
 */
function watchViewRows(world: World, failures: string[]): { stop(): void } {
  const seen = new Map<string, number>();
  const reported = new Set<string>();
  let stopped = false;
  void (async () => {
    while (!stopped) {
      await sleep(300);
      for (const [projection, tables] of [['balances', ['Balances']], ['audit', ['Audit']], ['payments', ['Payments', 'Notes']]] as const) {
        const { generation } = await projectionState(world.storage, projection).catch(() => ({ generation: -1 }));
        if (generation < 0) continue;
        for (const table of tables) {
          const name = world.storage.tableName('ledger', 'View', table, ...(generation === 0 ? [] : [`G${generation}`]));
          try {
            for await (const row of world.storage.tableClient(name).listEntities<{ _seq?: number }>({ queryOptions: { select: ['PartitionKey', 'RowKey', '_seq'] } })) {
              const key = `${name}/${row.partitionKey}/${row.rowKey}`;
              const seq = Number(row._seq ?? 0);
              const before = seen.get(key) ?? -1;
              if (seq < before && !reported.has(key)) {
                reported.add(key);
                failures.push(`view ${table} row ${row.partitionKey}/${row.rowKey} went back from seq ${before} to ${seq} (seen at ${world.trace.elapsed} ms)`);
              }
              seen.set(key, Math.max(seq, before));
            }
          } catch {
            // a table dropped by a swap, or not there yet
          }
        }
      }
    }
  })();
  return { stop: () => (stopped = true) };
}

/** Notes in the trace which processes believe they hold each lease (each partition's relay, the merger, each projection), as that changes (sampled). */
function watchHolders(world: World): { stop(): void } {
  const held = new Map<string, string>();
  const named = (process: SimProcess) => `${process.name}${process.runtime.mode === 'single-process' ? ' (in-process bus)' : ''}`;
  const say = (lease: string, said: string) => {
    if (held.get(lease) === said) return;
    held.set(lease, said);
    world.trace.note('lease', `${lease}: ${said}`);
  };
  const timer = setInterval(() => {
    const now = new Map<string, string[]>();
    for (const process of world.alive('worker')) {
      for (const lease of world.believedLeases(process)) now.set(lease, [...(now.get(lease) ?? []), named(process)]);
    }
    for (const [lease, holders] of now) say(lease.replace(/^projection-/, ''), holders.join(' and '));
  }, 250);
  return { stop: () => clearInterval(timer) };
}

/** Waits until the feed holds every stored event and each projection has reached the feed's head, no request left pending. */
async function drain(world: World, trace: Trace, receiver: Receiver, workload: Workload): Promise<boolean> {
  let until = performance.now() + catchUpBoundMs;
  let first = true;
  const feed = ledgerFeed(world.storage, world.partitions);
  const settleRandom = world.random.fork('drain');
  // The checker's own reads must not slow what it waits for: the feed is read only past
  // what was read before, and the whole store only once everything else has caught up.
  const published: string[] = [];
  let head = 0;
  while (performance.now() < until) {
    await settleLetters(world, settleRandom).catch(() => undefined);
    for (let page = await feed.rowsAfter(head, 1000); page.length > 0; page = await feed.rowsAfter(head, 1000)) {
      for (const entry of page) if (publishedTypes.has(entry.type)) published.push(entry.id);
      head = Number(page[page.length - 1]!.seq);
    }
    // `balances` runs per partition: each runner against its partition's head (the merged head at one partition).
    const partitionHeads = world.partitions === 1 ? [head] : await Promise.all(ledgerPartitions(world.storage, world.partitions).map((p) => p.head()));
    const runners = [
      { key: 'audit', head },
      { key: 'payments', head },
      ...partitionHeads.map((partitionHead, p) => ({ key: p === 0 ? 'balances' : `balances~p${p}`, head: partitionHead })),
    ];
    const [letters, checkpoints] = await Promise.all([deadLetters(world), Promise.all(runners.map((r) => projectionState(world.storage, r.key)))]);
    const pending = letters.some((l) => l.state === 'retry-requested' || l.state === 'parked');
    const undelivered = published.some((id) => !receiver.times.has(id));
    const behind = checkpoints.map((c, i) => Math.max(0, runners[i]!.head - c.seq));
    if (first) {
      first = false;
      const backlog = published.filter((id) => !receiver.times.has(id)).length + Math.max(...behind);
      until += (backlog / catchUpMinRate) * 1000;
      trace.note('drain', `backlog at the heal: ${backlog} (bound ${Math.round((until - performance.now()) / 1000)} s)`);
    }
    if (behind.every((b) => b === 0) && checkpoints.every((c) => !c.shadow && !c.retiring) && !pending && !undelivered) {
      const store = await storeEvents(world.storage, 'ledger');
      // Every transfer finished too: its last step may still wait for a timer or a sweep.
      if ([...store.values()].reduce((n, rows) => n + rows.length, 0) === head && unfinishedTransfers(store, workload.book.transfers).length === 0) {
        trace.note('drain', `caught up: ${head} events, views at the head`);
        return true;
      }
    }
    await sleep(500);
  }
  trace.note('drain', 'did not catch up in time');
  return false;
}

async function finalChecks(world: World, workload: Workload, caughtUp: boolean, receiver: Receiver): Promise<string[]> {
  const problems: string[] = [];
  if (!caughtUp) problems.push(`the system did not catch up within ${catchUpBoundMs / 1000} s plus its backlog at ${catchUpMinRate}/s after the faults stopped (see the drain line)`);
  const feed = ledgerFeed(world.storage, world.partitions);
  const [store, entries, letters] = await Promise.all([storeEvents(world.storage, 'ledger'), wholeFeed(feed), deadLetters(world)]);
  problems.push(...checkFeed(store, entries));
  if (world.partitions > 1) problems.push(...checkPartitions(await Promise.all(ledgerPartitions(world.storage, world.partitions).map((partition) => wholeFeed(partition)))));
  problems.push(...(await checkOperations(world.storage, store, workload.book)));
  const endings = new Map<string, number>();
  problems.push(...checkTransfers(store, workload.book.transfers, endings));
  for (const [ending, n] of endings) world.trace.count(`transfers ${ending}`, n);
  const excluded = new Map<string, Exclusions>();
  for (const name of ['balances', 'audit', 'payments']) {
    const { generation } = await projectionState(world.storage, name);
    const seqs = new Set(letters.filter((l) => l.projection === name && (l.generation ?? 0) === generation && (l.state === 'parked' || l.state === 'skipped' || l.state === 'retry-requested')).map((l) => l.seq));
    excluded.set(name, { generation, seqs });
  }
  const views = await checkViews(world.storage, feed, entries, excluded);
  problems.push(...views);
  if (views.length > 0) {
    // What a reader of the failure needs: where each missing event's dead letter went.
    const bySeq = new Map(entries.map((e) => [e.id, Number(e.seq)]));
    for (const line of views.filter((v) => v.startsWith('view Audited:')).slice(0, 5)) {
      const id = /\/([0-9a-f-]{36}) /.exec(line)?.[1];
      const seq = id ? bySeq.get(id) : undefined;
      const letter = letters.filter((l) => l.projection === 'audit' && l.seq === seq);
      problems.push(`  seq ${seq}: letters ${JSON.stringify(letter.map(({ state, generation, attempts }) => ({ state, generation, attempts })))}`);
    }
    for (const name of ['audit']) problems.push(`  ${name} state: ${JSON.stringify(await projectionState(world.storage, name))}`);
  }
  problems.push(...checkDeliveries(entries, receiver, world.trace));
  problems.push(...(await checkFootprint(world)));
  return problems;
}

/** Every published event reached the consumer at least once, first in feed order. */
function checkDeliveries(entries: { id: string; type: string; s: string; v: number; seq: number }[], receiver: Receiver, trace: Trace): string[] {
  const published = entries.filter((e) => publishedTypes.has(e.type));
  const problems = published.filter((e) => !receiver.times.has(e.id)).slice(0, 10).map((e) => `webhooks: ${e.s} v${e.v} (seq ${e.seq}) never delivered`);
  const order = new Map(published.map((e, i) => [e.id, i]));
  const arrived = receiver.first.filter((id) => order.has(id)).map((id) => order.get(id)!);
  const outOfOrder = arrived.findIndex((n, i) => i > 0 && n < arrived[i - 1]!);
  if (outOfOrder > 0) problems.push(`webhooks: the event at feed position ${arrived[outOfOrder]} first arrived after the one at ${arrived[outOfOrder - 1]}`);
  const again = [...receiver.times.values()].reduce((n, times) => n + times - 1, 0);
  trace.count('webhook deliveries', [...receiver.times.values()].reduce((n, times) => n + times, 0));
  trace.count('webhook redeliveries', again);
  return problems;
}

/** Once every marker is retired, no relay holds a cursor and the saved relay state names no stream. */
async function checkFootprint(world: World): Promise<string[]> {
  const problems: string[] = [];
  const quietBy = performance.now() + 4 * simTuning.markerRetireMs!;
  const markers = await world.storage.table('ledger', 'Pending');
  let left = -1;
  while (performance.now() < quietBy) {
    left = 0;
    for await (const _ of markers.listEntities({ queryOptions: { select: ['RowKey'] } })) left++;
    if (left === 0) break;
    await sleep(500);
  }
  if (left !== 0) problems.push(`memory: ${left} pending markers still there ${4 * simTuning.markerRetireMs!} ms after the work stopped`);
  // A worker frozen past the heal still believes it holds its old leases until it wakes
  // and fails to renew them: wait until one relay per partition is left believing so.
  const claims = () => world.alive('worker').flatMap((p) => p.runtime.footprint().relays.filter((r) => r.active).map((relay) => ({ process: p, relay })));
  const doubled = () => new Set(claims().map((c) => c.relay.partition)).size < claims().length;
  const claimedBy = performance.now() + 20_000;
  while (doubled() && performance.now() < claimedBy) await sleep(250);
  await sleep(2 * simTuning.relaySweepMs!);
  for (const { process, relay } of claims()) {
    if (relay.cursors > left) problems.push(`memory: ${process.name}'s relay${world.partitions > 1 ? ` of partition ${relay.partition}` : ''} holds ${relay.cursors} stream cursors with ${left} streams active`);
  }
  return problems;
}

async function deadLetters(world: World): Promise<DeadLetter[]> {
  const gateway = world.alive('gateway')[0] ?? world.alive()[0];
  return gateway ? gateway.runtime.context('ledger').deadLetters() : [];
}

async function projectionState(storage: Storage, projection: string): Promise<{ seq: number; generation: number; shadow: boolean; retiring: boolean }> {
  const blob = (await storage.container('ledger')).getBlockBlobClient(`leases/projection-${projection}.json`);
  try {
    const text = await readBlobText(blob);
    const state = text ? (JSON.parse(text) as { seq?: number; generation?: number; shadow?: unknown; retiring?: unknown[] }) : {};
    return { seq: state.seq ?? 0, generation: state.generation ?? 0, shadow: state.shadow !== undefined, retiring: (state.retiring?.length ?? 0) > 0 };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return { seq: 0, generation: 0, shadow: false, retiring: false };
    throw error;
  }
}
