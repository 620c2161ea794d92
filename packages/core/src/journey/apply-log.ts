import { odata, type TableClient } from '@azure/data-tables';
import type { Logger } from 'pino';
import { seqKey } from '../store/keys.ts';
import { isNotFound, type Storage } from '../store/storage.ts';

/**
 * When each projection applied what, for an event's journey: not a row per event but a
 * row per saved checkpoint (about one a second while events flow), holding the batches
 * applied since the last one, each as (start, end seq, time). A row's key is its last
 * batch's seq, so "the first row at or after seq s" is one range read of one row, whatever
 * the history, and its first batch ending at or after s applied s if it starts before s.
 *
 * Rows go to one table per UTC day; a day's table is dropped whole once it is older
 * than the retention, so keeping the log bounded costs one request a day.
 */

/**
 * One batch a runner applied: the handled events after `from` up to `seq`, at `at` (epoch
 * ms). The batch says where it starts: a row's first batch need not follow the last one
 * recorded (the first after a swap, after a lost write, or past the retention).
 */
export interface AppliedBatch {
  from: number;
  seq: number;
  at: number;
}

export const applyLogRetentionDays = 7;
const dayMs = 86_400_000;
/** Batches one row holds (a row's column holds 32K characters; a batch takes at most ~45). */
const batchesPerRow = 600;
/** Batches a runner holds between two saves; past this the oldest go (their events then have no recorded time). */
const maxPending = 4096;
/** Runners' clocks and the relay's may disagree: look a day before the placement too. */
const skewMs = dayMs;

/** The UTC day of an instant, as a table name suffix: 20261207. */
export const applyLogDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

/** A runner's rows of one view generation: a rebuild's swap starts a new partition. */
export const applyLogPartition = (runner: string, generation: number): string => `${runner}~g${generation}`;

/** The batch that applied `seq`: the first whose end is at or after it (batches in seq order), if it starts before it. */
export function batchHolding(batches: readonly AppliedBatch[], seq: number): AppliedBatch | undefined {
  let low = 0;
  let high = batches.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (batches[mid]!.seq < seq) low = mid + 1;
    else high = mid;
  }
  const batch = batches[low];
  return batch && batch.from < seq ? batch : undefined;
}

/** The days whose tables may hold the application of an event placed at `placedAt`, oldest first, within the retention. */
export function daysToSearch(placedAt: number, now: number, retentionDays = applyLogRetentionDays): string[] {
  const first = Math.max(placedAt - skewMs, now - retentionDays * dayMs);
  const days: string[] = [];
  for (let ms = Math.floor(first / dayMs) * dayMs; ms <= now; ms += dayMs) days.push(applyLogDay(ms));
  return days;
}

/** Day tables older than the retention, among a listing of table names. */
export function expiredTables(names: readonly string[], prefix: string, now: number, retentionDays = applyLogRetentionDays): string[] {
  const oldest = applyLogDay(now - retentionDays * dayMs);
  return names.filter((name) => {
    const day = name.startsWith(prefix) ? name.slice(prefix.length) : '';
    return /^\d{8}$/.test(day) && day < oldest;
  });
}

interface ApplyRow {
  partitionKey: string;
  rowKey: string;
  /** JSON [[from, seq, at], …] in seq order. */
  b: string;
}

/** A context's apply log: written by its runners, read by the event journey. */
export class ApplyLog {
  private readonly storage: Storage;
  private readonly context: string;
  private readonly retentionDays: number;
  private readonly clock: () => number;
  private retiredOn = '';

  constructor(storage: Storage, context: string, options: { retentionDays?: number; clock?: () => number } = {}) {
    this.storage = storage;
    this.context = context;
    this.retentionDays = options.retentionDays ?? applyLogRetentionDays;
    this.clock = options.clock ?? Date.now;
  }

  private get prefix(): string {
    return this.storage.tableName(this.context, 'Applied');
  }

  /** Writes batches a runner saved its checkpoint past, under today's table (upserts: a replayed save writes the same key). */
  async write(runner: string, generation: number, batches: readonly AppliedBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const now = this.clock();
    const table = await this.storage.table(this.context, 'Applied', applyLogDay(now));
    for (let i = 0; i < batches.length; i += batchesPerRow) {
      const chunk = batches.slice(i, i + batchesPerRow);
      const row: ApplyRow = {
        partitionKey: applyLogPartition(runner, generation),
        rowKey: seqKey(chunk[chunk.length - 1]!.seq),
        b: JSON.stringify(chunk.map((batch) => [batch.from, batch.seq, batch.at])),
      };
      await table.upsertEntity(row, 'Replace');
    }
    if (this.retiredOn !== applyLogDay(now)) {
      this.retiredOn = applyLogDay(now);
      await this.retire();
    }
  }

  /** Drops the day tables past the retention (once a day per process and context). */
  async retire(): Promise<string[]> {
    const expired = expiredTables(await this.storage.listTables(), this.prefix, this.clock(), this.retentionDays);
    for (const name of expired) {
      await this.storage.deleteTable(name).catch((error) => {
        if (!isNotFound(error)) throw error;
      });
    }
    return expired;
  }

  /**
   * When a runner's generation applied `seq`, if recorded: the day tables from the event's
   * placement on, each one range read of one row, until one holds the batch that applied it.
   */
  async find(runner: string, generation: number, seq: number, placedAt: number): Promise<number | undefined> {
    for (const day of daysToSearch(placedAt, this.clock(), this.retentionDays)) {
      const row = await firstRowFrom(this.storage.tableClient(`${this.prefix}${day}`), applyLogPartition(runner, generation), seq);
      if (!row) continue;
      const batch = batchHolding(JSON.parse(row.b).map(([from, to, at]: [number, number, number]) => ({ from, seq: to, at })), seq);
      if (batch) return batch.at;
    }
    return undefined;
  }
}

async function firstRowFrom(table: TableClient, partitionKey: string, seq: number): Promise<ApplyRow | undefined> {
  try {
    const pages = table
      .listEntities<ApplyRow>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${seqKey(seq)}` } })
      .byPage({ maxPageSize: 1 });
    // A page may come back empty with a continuation (the service's time limit): follow it.
    for await (const page of pages) if (page.length > 0) return page[0];
    return undefined;
  } catch (error) {
    // No table for that day: nothing was applied then.
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * What a runner keeps between two saves of its checkpoint: the batches it applied. Only
 * batches its saved checkpoint covers are written, after the save, so a record never
 * names a batch a crash or a lost lease took back (its successor reapplies and records it).
 */
export class ApplyRecorder {
  private pending: (AppliedBatch & { generation: number })[] = [];
  /** Batches a saved checkpoint covers, waiting for the next write. */
  private ready: (AppliedBatch & { generation: number })[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = -Infinity;
  private readonly log: ApplyLog;
  private readonly runner: string;
  private readonly logger: Logger;
  private readonly writeEveryMs: number;

  /**
   * `writeEveryMs`: rows are written at most this often (a runner that keeps catching up
   * saves its checkpoint after nearly every batch; one row a second holds them all).
   */
  constructor(log: ApplyLog, runner: string, logger: Logger, writeEveryMs = 1000) {
    this.log = log;
    this.runner = runner;
    this.logger = logger;
    this.writeEveryMs = writeEveryMs;
  }

  /** The runner (re)started from its saved checkpoint: what it applied before is taken back. */
  reset(): void {
    this.pending = [];
  }

  /** A batch applied, the events after `from` up to `seq`, into `generation`'s views. */
  applied(from: number, seq: number, generation: number, at = Date.now()): void {
    this.pending.push({ from, seq, at, generation });
    if (this.pending.length > maxPending) this.pending.shift();
  }

  /**
   * The checkpoint was saved at `seq` under the lease: its batches are recorded, in the
   * background, at most once per `writeEveryMs` (one write at a time; a failed write only
   * loses times, never states a false one).
   */
  saved(seq: number, generation: number): void {
    const covered = this.pending.filter((batch) => batch.seq <= seq && batch.generation === generation);
    this.pending = this.pending.filter((batch) => batch.seq > seq && batch.generation === generation);
    this.ready.push(...covered);
    if (this.ready.length > maxPending) this.ready.splice(0, this.ready.length - maxPending);
    this.writeSoon();
  }

  /** Writes what is ready now (tests, and stopping), and waits for it. */
  async settled(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    if (this.ready.length > 0) this.write();
    await this.writing;
  }

  private writeSoon(): void {
    if (this.writing || this.timer || this.ready.length === 0) return;
    const wait = this.lastWrite + this.writeEveryMs - performance.now();
    if (wait <= 0) return this.write();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writeSoon();
    }, wait);
    this.timer.unref();
  }

  private write(): void {
    const batches = this.ready;
    this.ready = [];
    this.lastWrite = performance.now();
    const generations = [...new Set(batches.map((batch) => batch.generation))];
    this.writing = Promise.all(
      generations.map((generation) =>
        this.log.write(
          this.runner,
          generation,
          batches.filter((batch) => batch.generation === generation).map(({ from, seq, at }) => ({ from, seq, at })),
        ),
      ),
    )
      .then(() => undefined)
      .catch((error) => this.logger.warn({ runner: this.runner, err: (error as Error).message }, 'apply log not written (journey times of these batches are lost)'))
      .finally(() => {
        this.writing = undefined;
        this.writeSoon();
      });
  }
}
