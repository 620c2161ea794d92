import { RestError, TableClient } from '@azure/data-tables';
import { createRuntime, Feed, ProblemError, Storage, type CoreConfig, type Principal, type Runtime } from '@eventloom/core';
import { compareFeedWithStore, storeEvents, testConfig, testPrefix, wholeFeed, type EventColumns } from '@eventloom/core/testing';
import counter from '@eventloom/counter-context';
import { afterEach, describe, expect, it } from 'vitest';
import { startThrottle, type Throttle, type ThrottleOptions } from '../src/throttle.ts';

const azurite = process.env.AZURE_STORAGE_CONNECTION_STRING!;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function throttle(options: Omit<ThrottleOptions, 'target'>): Promise<Throttle> {
  const started = await startThrottle({ target: azurite, ...options });
  cleanups.push(() => started.close());
  return started;
}

describe('the throttle in front of Azurite, seen by the raw SDK', () => {
  // The SDK's retries off: every refusal reaches the caller.
  const noRetries = { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } };

  async function tableThrough(proxy: Throttle): Promise<{ direct: TableClient; throttled: TableClient }> {
    const name = testPrefix('thr');
    const direct = TableClient.fromConnectionString(azurite, name, noRetries);
    await direct.createTable();
    cleanups.push(() => direct.deleteTable());
    return { direct, throttled: TableClient.fromConnectionString(proxy.connectionString(azurite), name, noRetries) };
  }

  /** `perPartition` inserts into each partition, all at once: what passed per partition, the refusals, the seconds it took. */
  async function insertAtOnce(table: TableClient, partitions: string[], perPartition: number) {
    const passed = new Map(partitions.map((p) => [p, 0]));
    const refusals: RestError[] = [];
    const started = performance.now();
    await Promise.all(
      partitions.flatMap((partitionKey) =>
        Array.from({ length: perPartition }, (_, i) =>
          table.createEntity({ partitionKey, rowKey: String(i).padStart(6, '0'), payload: 'x'.repeat(200) }).then(
            () => passed.set(partitionKey, passed.get(partitionKey)! + 1),
            (error: unknown) => {
              if (!(error instanceof RestError)) throw error;
              refusals.push(error);
            },
          ),
        ),
      ),
    );
    return { passed, refusals, seconds: (performance.now() - started) / 1000 };
  }

  async function rows(table: TableClient): Promise<number> {
    let n = 0;
    for await (const _ of table.listEntities({ queryOptions: { select: ['RowKey'] } })) n++;
    return n;
  }

  /** How the Table SDK reports Azure's refusal: the code sits in `details` (Table sets no `RestError.code`). */
  function expectServerBusy(error: RestError, message: RegExp): void {
    expect(error.statusCode).toBe(503);
    const details = error.details as { errorCode?: string; odataError?: { code?: string; message?: { value?: string } } };
    expect(details.errorCode).toBe('ServerBusy');
    expect(details.odataError?.code).toBe('ServerBusy');
    expect(details.odataError?.message?.value).toMatch(message);
  }

  it('refuses inserts past a partition\'s rate with 503 ServerBusy, which never reach Azurite', async () => {
    const proxy = await throttle({ partitionRate: 100 });
    const { direct, throttled } = await tableThrough(proxy);

    const { passed, refusals, seconds } = await insertAtOnce(throttled, ['hot'], 400);

    // the first second's worth passes at once; after that no more than the rate
    expect(passed.get('hot')).toBeGreaterThanOrEqual(100);
    expect(passed.get('hot')).toBeLessThanOrEqual(100 + Math.ceil(100 * seconds));
    expect(refusals.length).toBe(400 - passed.get('hot')!);
    for (const refusal of refusals) expectServerBusy(refusal, /^The server is currently unable to receive requests\. Please retry your request\./);
    expect(await rows(direct)).toBe(passed.get('hot'));
    expect(proxy.stats()).toMatchObject({ passed: passed.get('hot'), refusedByPartition: refusals.length, refusedByAccount: 0 });
  });

  it('gives each partition its own budget', async () => {
    const proxy = await throttle({ partitionRate: 100 });
    const { direct, throttled } = await tableThrough(proxy);

    const { passed, seconds } = await insertAtOnce(throttled, ['left', 'right'], 300);

    for (const key of ['left', 'right']) {
      expect(passed.get(key), key).toBeGreaterThanOrEqual(100);
      expect(passed.get(key), key).toBeLessThanOrEqual(100 + Math.ceil(100 * seconds));
    }
    expect(await rows(direct)).toBe(passed.get('left')! + passed.get('right')!);
  });

  it('gives the same partition key in another table its own budget, and tallies each table', async () => {
    const proxy = await throttle({ partitionRate: 100 });
    const first = await tableThrough(proxy);
    const second = await tableThrough(proxy);

    const [a, b] = await Promise.all([insertAtOnce(first.throttled, ['hot'], 200), insertAtOnce(second.throttled, ['hot'], 200)]);

    for (const { passed, seconds } of [a, b]) {
      expect(passed.get('hot')).toBeGreaterThanOrEqual(100);
      expect(passed.get('hot')).toBeLessThanOrEqual(100 + Math.ceil(100 * seconds));
    }
    expect(proxy.stats().tables).toEqual({
      [first.direct.tableName]: { entities: a.passed.get('hot'), refused: a.refusals.length },
      [second.direct.tableName]: { entities: b.passed.get('hot'), refused: b.refusals.length },
    });
  });

  it('caps the sum of all partitions at the account rate, saying so as Azure does', async () => {
    const proxy = await throttle({ partitionRate: 100, accountRate: 150 });
    const { direct, throttled } = await tableThrough(proxy);

    const { passed, refusals, seconds } = await insertAtOnce(throttled, ['a', 'b', 'c'], 200);

    const total = [...passed.values()].reduce((sum, n) => sum + n, 0);
    expect(total).toBeGreaterThanOrEqual(150);
    expect(total).toBeLessThanOrEqual(150 + Math.ceil(150 * seconds));
    const byAccount = refusals.filter((r) => /over the account limit/.test((r.details as { odataError?: { message?: { value?: string } } }).odataError?.message?.value ?? ''));
    expect(byAccount.length).toBeGreaterThan(0);
    for (const refusal of byAccount) expectServerBusy(refusal, /^Operations per second is over the account limit\./);
    expect(await rows(direct)).toBe(total);
  });
});

describe('the core under throttling', () => {
  const owner: Principal = { sub: 'owner.throttle', role: 'owner' };

  const describeError = (error: unknown) =>
    error instanceof ProblemError ? `a ${error.status} problem (${error.problem.type})` : `a raw ${(error as Error).name} ${(error as { statusCode?: number }).statusCode ?? ''}`;

  /** Which errors a caller may send again, by the kind it saw; undefined for the ones it may not. */
  function retryable(error: unknown): string | undefined {
    if (error instanceof ProblemError) {
      if (error.status === 503) return 'unavailable (503 problem)';
      if (error.status === 409 && error.problem.retryable === true) return 'stream busy (409 problem)';
      return undefined;
    }
    if (error instanceof RestError && error.statusCode === 503) return `raw storage 503 ${(error.details as { errorCode?: string } | undefined)?.errorCode ?? ''}`.trim();
    return undefined;
  }

  interface Ack {
    key: string;
    counter: string;
    by: number;
    duplicate: boolean;
    attempts: number;
  }

  /**
   * `writers` callers, each sending increments to its counter until `ms` have passed. A
   * refused command is sent again with its idempotency key until it is acknowledged, as a
   * careful client would; anything not worth a retry is kept as a failure. With `until`,
   * it goes on past `ms` (up to `maxMs`) until that holds: on a busy machine the writers
   * may need longer to press a partition past its limit.
   */
  async function writeFor(runtimes: Runtime[], writers: number, counters: number, ms: number, more?: { until: () => boolean; maxMs: number }) {
    const acks: Ack[] = [];
    const refusals = new Map<string, number>();
    const failures: string[] = [];
    const started = performance.now();
    const writing = () => {
      const elapsed = performance.now() - started;
      return elapsed < ms || (more !== undefined && elapsed < more.maxMs && !more.until());
    };
    const writer = async (w: number) => {
      for (let n = 0; writing(); n++) {
        const command = { key: `w${w}-${n}`, counter: `c${w % counters}`, by: 1 + (n % 5) };
        for (let attempt = 1; ; attempt++) {
          try {
            const accepted = await runtimes[w % runtimes.length]!.context('counter').execute('counter', 'increment', { id: command.counter, by: command.by }, { principal: owner, idempotencyKey: command.key });
            acks.push({ ...command, duplicate: accepted.duplicate, attempts: attempt });
            break;
          } catch (error) {
            const kind = retryable(error);
            if (!kind) {
              failures.push(`${command.key}: ${(error as Error).name} ${(error as { statusCode?: number }).statusCode ?? ''} ${(error as Error).message}`);
              break;
            }
            refusals.set(kind, (refusals.get(kind) ?? 0) + 1);
            if (attempt >= 40) {
              failures.push(`${command.key}: still refused after ${attempt} attempts (${kind})`);
              break;
            }
            await sleep(100 + Math.random() * 200);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
    return { acks, refusals, failures };
  }

  async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const until = performance.now() + timeoutMs;
    let lastError: unknown;
    while (performance.now() < until) {
      try {
        if (await check()) return;
      } catch (error) {
        lastError = error;
      }
      await sleep(250);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
  }

  /** The Counters view, read past the throttle. */
  async function countersView(cfg: CoreConfig): Promise<Map<string, number>> {
    const reader = await createRuntime({ contexts: [counter], config: cfg, workers: false });
    try {
      const page = await reader.context('counter').views.query('Counters', { partitionKey: 'counter', limit: 1000 });
      return new Map(page.rows.map((row) => [String(row.rowKey), Number(row.value)]));
    } finally {
      await reader.close();
    }
  }

  const sumBy = <T>(items: Iterable<T>, key: (item: T) => string, value: (item: T) => number) => {
    const sums = new Map<string, number>();
    for (const item of items) sums.set(key(item), (sums.get(key(item)) ?? 0) + value(item));
    return new Map([...sums].sort(([a], [b]) => (a < b ? -1 : 1)));
  };

  it('acknowledges every command or refuses it retryably, and stores, relays and projects each event once', { timeout: 120_000 }, async () => {
    const cfg = testConfig({ name: 'thcore', LOG_LEVEL: 'silent' });
    const proxy = await throttle({ partitionRate: 50 });
    const throttled: CoreConfig = { ...cfg, AZURE_STORAGE_CONNECTION_STRING: proxy.connectionString(cfg.AZURE_STORAGE_CONNECTION_STRING) };
    // One process with the relay and projection, three that only take commands: a stream
    // serializes its commands within a process, so only several processes press one partition.
    const runtime = await createRuntime({ contexts: [counter], config: throttled });
    cleanups.push(() => runtime.close());
    const gateways = await Promise.all(Array.from({ length: 3 }, () => createRuntime({ contexts: [counter], config: throttled, workers: false })));
    for (const gateway of gateways) cleanups.push(() => gateway.close());

    const { acks, refusals, failures } = await writeFor([runtime, ...gateways], 32, 4, 4_000, { until: () => proxy.stats().refusedByPartition > 0, maxMs: 30_000 });

    expect(failures).toEqual([]);
    expect(proxy.stats().refusedByPartition).toBeGreaterThan(0);

    // The audit reads Azurite directly: the throttle is what is under test, not the audit.
    const storage = new Storage(cfg.AZURE_STORAGE_CONNECTION_STRING, cfg.EVENTLOOM_PREFIX);
    const stored = async () => [...(await storeEvents(storage)).values()].reduce((n, rows) => n + rows.length, 0);
    // each acknowledged command stored exactly one event, and nothing else was stored
    expect(await stored()).toBe(acks.length);
    const store = await storeEvents(storage);
    const storedSums = sumBy([...store.values()].flat(), (row: EventColumns) => (JSON.parse(row.data!) as { counterId: string }).counterId, (row) => (JSON.parse(row.data!) as { by: number }).by);
    expect(storedSums).toEqual(sumBy(acks, (a) => a.counter, (a) => a.by));

    const feed = new Feed(storage, 'counter');
    await waitUntil(`all ${acks.length} events in the feed`, async () => (await feed.head()) >= acks.length, 60_000);
    await waitUntil('the Counters projection at the feed head', async () => (await runtime.stats())[0]!.projections[0]!.checkpoint >= acks.length, 60_000);
    const check = compareFeedWithStore(store, await wholeFeed(feed));
    expect(check.problems).toEqual([]);
    expect(check.feedCount).toBe(acks.length);
    expect(await countersView(cfg)).toEqual(storedSums);

    console.info(
      `throttle: ${acks.length} commands acknowledged (${acks.filter((a) => a.duplicate).length} as duplicates of their own earlier attempt, ` +
        `${acks.filter((a) => a.attempts > 1).length} after a retry); refusals seen by callers: ${JSON.stringify(Object.fromEntries(refusals))}; proxy ${JSON.stringify(proxy.stats())}`,
    );
  });

  it('refuses a command retryably while its partition is over the limit, applies nothing, and applies it once when sent again', { timeout: 60_000 }, async () => {
    const cfg = testConfig({ name: 'thheld', LOG_LEVEL: 'silent' });
    const proxy = await throttle({ partitionRate: 80 });
    const throttled: CoreConfig = { ...cfg, AZURE_STORAGE_CONNECTION_STRING: proxy.connectionString(cfg.AZURE_STORAGE_CONNECTION_STRING) };
    const runtime = await createRuntime({ contexts: [counter], config: throttled, workers: false });
    cleanups.push(() => runtime.close());
    const context = runtime.context('counter');
    const storage = new Storage(cfg.AZURE_STORAGE_CONNECTION_STRING, cfg.EVENTLOOM_PREFIX);
    // b's state is cached and its pending marker fresh: its next command goes straight to the append.
    await context.execute('counter', 'increment', { id: 'b', by: 1 }, { principal: owner });
    await sleep(100);

    // A neighbour's query for a thousand rows of each partition (charged as a thousand: the
    // throttle counts $top): at 80 entities/s it passes on the full bucket and leaves each
    // partition 11.5 s in debt, longer than the core and the SDK retry (at most ~7 s).
    const neighbour = TableClient.fromConnectionString(throttled.AZURE_STORAGE_CONNECTION_STRING, storage.tableName('counter', 'Events'), { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
    const heldAt = performance.now();
    for (const stream of ['counter-a', 'counter-b']) {
      await neighbour.listEntities({ queryOptions: { filter: `PartitionKey eq '${stream}'` } }).byPage({ maxPageSize: 1000 }).next();
    }

    const [keyed, plain] = await Promise.allSettled([
      context.execute('counter', 'increment', { id: 'a', by: 5 }, { principal: owner, idempotencyKey: 'held-1' }),
      context.execute('counter', 'increment', { id: 'b', by: 7 }, { principal: owner }),
    ]);
    expect(performance.now() - heldAt).toBeLessThan(11_000);
    for (const outcome of [keyed, plain]) {
      expect(outcome.status).toBe('rejected');
      expect(retryable((outcome as PromiseRejectedResult).reason), String((outcome as PromiseRejectedResult).reason)).toBeDefined();
    }
    const refusedWhole = await storeEvents(storage);
    expect(refusedWhole.get('counter-a')).toBeUndefined();
    expect(refusedWhole.get('counter-b')).toHaveLength(1);

    await sleep(12_000 - (performance.now() - heldAt));
    const again = await context.execute('counter', 'increment', { id: 'a', by: 5 }, { principal: owner, idempotencyKey: 'held-1' });
    expect(again.duplicate).toBe(false);
    expect((await storeEvents(storage)).get('counter-a')?.map((row) => row.id)).toEqual(again.events.map((event) => event.id));

    console.info(
      `throttle, held partition: with an idempotency key the caller saw ${describeError((keyed as PromiseRejectedResult).reason)}; ` +
        `without one, on a cached stream, ${describeError((plain as PromiseRejectedResult).reason)}`,
    );
  });
});
