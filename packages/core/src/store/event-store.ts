import { createHash } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import { v7 as uuidv7 } from 'uuid';
import type { EventEnvelope, EventMetadata, NewEvent } from '../events/envelope.ts';
import { currentTraceparent } from '../tracing/trace-context.ts';
import { fromColumns, toColumns, type CommitColumns, type EventColumns } from './codec.ts';
import { KeyedAppender, keyRowKey, keyedVersionStride, type KeyedAppendResult, type KeyedEvent } from './keyed-append.ts';
import { assertStreamId, versionKey } from './keys.ts';
import { PendingMarkers } from './pending-markers.ts';
import { isConflict, isNotFound, isPreconditionFailed, isTransient, type Storage } from './storage.ts';

/** Another writer appended at the same version first. Reload and try again. */
export class ConcurrencyError extends Error {
  readonly stream: string;
  readonly expectedVersion: number;
  constructor(stream: string, expectedVersion: number) {
    super(`stream ${stream} moved past version ${expectedVersion}; reload and retry`);
    this.name = 'ConcurrencyError';
    this.stream = stream;
    this.expectedVersion = expectedVersion;
  }
}

/** A command already applied under this idempotency key by the same caller. */
export class DuplicateCommandError extends Error {
  readonly record: IdempotencyRecord;
  constructor(record: IdempotencyRecord) {
    super(`command ${record.commandId} was already applied under this idempotency key`);
    this.name = 'DuplicateCommandError';
    this.record = record;
  }
}

/** The store did not answer whether an append committed; its rows may or may not exist. */
export class AppendOutcomeUnknownError extends Error {
  constructor(stream: string, cause: unknown) {
    super(`the store did not confirm the append to ${stream}: ${(cause as Error).message}`);
    this.name = 'AppendOutcomeUnknownError';
  }
}

/**
 * What an idempotency key stands for. A key belongs to one caller (`who`): another
 * caller's equal key is another command. `request` fingerprints the command, so the
 * same key sent with a different request is told apart from a retry.
 */
export interface IdempotencyRecord {
  key: string;
  who: string;
  request: string;
  commandId: string;
  fromVersion: number;
  toVersion: number;
}

export interface AppendOptions {
  /** Stored atomically with the events; a second append with the same key by the same caller fails as a duplicate. */
  idempotency?: { key: string; commandId: string; request: string };
}

export interface ReadOptions {
  fromVersion?: number;
  toVersion?: number;
  asOf?: Date;
}

/** A batch (entity-group transaction) holds at most 100 rows. */
const maxEventsPerAppend = 99;
/** Attempts of one append before its error reaches the caller. */
const maxAttempts = 4;
const idempotencyRowKey = (who: string, key: string) => `cmd|${createHash('sha256').update(who).digest('hex').slice(0, 16)}|${key}`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The event store of one context: one Azure table, a partition per stream, a row per
 * event keyed by its zero-padded version. Rows are only ever inserted, so a second
 * writer at the same version gets 409 instead of overwriting.
 *
 * The event rows are themselves the outbox: the relay finds streams with unrelayed
 * events through a pending marker written before the append (see PendingMarkers), so an
 * append of one event is a single insert, as cheap as a raw one.
 */
export class EventStore {
  readonly context: string;
  private readonly events: Promise<TableClient>;
  /** The same table without the SDK's retries: appends retry on their own terms. */
  private readonly writer: Promise<TableClient>;
  private readonly attemptMs: number;
  private readonly container: () => Promise<ContainerClient>;
  readonly markers: PendingMarkers;
  /** Called after each commit with the rows written (the relay's wake-up); `commit` for keyed commits. */
  onCommitted: ((stream: string, rows: EventColumns[], commit?: number) => void) | undefined;
  private readonly keyed: KeyedAppender;

  constructor(storage: Storage, context: string) {
    this.context = context;
    this.events = storage.table(context, 'Events');
    this.writer = storage.writer(context, 'Events');
    this.attemptMs = storage.tuning.appendAttemptMs;
    this.container = () => storage.container(context);
    this.markers = new PendingMarkers(storage, context);
    this.keyed = new KeyedAppender({ table: this.events, writer: this.writer, container: this.container, markers: this.markers, attemptMs: this.attemptMs });
  }

  /** Creates the tables and container up front so the first command is not slowed. */
  async ready(): Promise<void> {
    await Promise.all([this.events, this.writer, this.container(), this.markers.ready()]);
  }

  /**
   * Appends events after `expectedVersion` (0 for a new stream) in one atomic step.
   * Throws ConcurrencyError when the stream has moved on, DuplicateCommandError when
   * the caller used the idempotency key before.
   *
   * Any attempt may fail after it committed (the response was lost). The event ids are
   * fixed before the first attempt, so after any error the append reads back whether
   * its first row is there with its id: then it succeeded, and a retry that met its own
   * row (409) is not taken for another writer. Each attempt is bounded in time and
   * re-marks the stream when the marker it relies on has gone stale.
   */
  async append(stream: string, expectedVersion: number, events: NewEvent[], metadata: EventMetadata, options: AppendOptions = {}): Promise<EventEnvelope[]> {
    assertStreamId(stream);
    if (events.length === 0) return [];
    if (events.length > maxEventsPerAppend) throw new RangeError(`an append holds at most ${maxEventsPerAppend} events`);
    const occurredAt = metadata.occurredAt ?? new Date().toISOString();
    const traceparent = metadata.traceparent ?? currentTraceparent();
    const envelopes: EventEnvelope[] = events.map((event, i) => ({
      id: uuidv7(),
      type: event.type,
      schemaVersion: event.schemaVersion ?? 1,
      stream,
      version: expectedVersion + 1 + i,
      occurredAt,
      who: metadata.who,
      correlationId: metadata.correlationId,
      causationId: metadata.causationId,
      traceparent,
      data: event.data,
    }));
    const rows = await Promise.all(envelopes.map((e) => toColumns(e, this.container)));
    const entities = rows.map((columns) => ({ partitionKey: stream, rowKey: versionKey(columns.v), ...columns }));
    const record: IdempotencyRecord | undefined = options.idempotency && {
      key: options.idempotency.key,
      who: metadata.who,
      request: options.idempotency.request,
      commandId: options.idempotency.commandId,
      fromVersion: expectedVersion + 1,
      toVersion: expectedVersion + events.length,
    };
    const actions: TransactionAction[] = entities.map((entity) => ['create', entity]);
    if (record) actions.push(['create', { partitionKey: stream, rowKey: idempotencyRowKey(record.who, record.key), ...record }]);
    const writer = await this.writer;
    for (let attempt = 1; ; attempt++) {
      await this.markers.mark(stream);
      try {
        const abortSignal = AbortSignal.timeout(this.attemptMs);
        if (actions.length === 1) await writer.createEntity(entities[0]!, { abortSignal });
        else await writer.submitTransaction(actions, { abortSignal });
        break;
      } catch (error) {
        const outcome = await this.outcome(stream, envelopes[0]!).catch(() => {
          throw new AppendOutcomeUnknownError(stream, error);
        });
        if (outcome === 'ours') break;
        if (outcome === 'taken' || isConflict(error)) {
          // Not ours: the key's earlier use (at any version) answers before the version does.
          const earlier = record && (await this.findIdempotency(stream, record.key, record.who));
          if (earlier) throw new DuplicateCommandError(earlier);
          throw new ConcurrencyError(stream, expectedVersion);
        }
        if (!isTransient(error) || attempt >= maxAttempts) throw error;
        await sleep(50 * 4 ** attempt);
      }
    }
    this.onCommitted?.(stream, rows);
    return envelopes;
  }

  /** Whether an append's first row is stored: with its id (ours), another's (taken), or not at all. */
  private async outcome(stream: string, first: EventEnvelope): Promise<'ours' | 'taken' | 'absent'> {
    try {
      const row = await (await this.events).getEntity<{ id: string }>(stream, versionKey(first.version), { queryOptions: { select: ['id'] } });
      return row.id === first.id ? 'ours' : 'taken';
    } catch (error) {
      if (isNotFound(error)) return 'absent';
      throw error;
    }
  }

  /**
   * Ingestion: up to 99 events keyed by a natural key in one transaction; a key stored
   * before is reported as a duplicate, never stored twice. See KeyedAppender.
   */
  async appendKeyed(partition: string, items: KeyedEvent[], metadata: EventMetadata): Promise<KeyedAppendResult> {
    const result = await this.keyed.append(partition, items, metadata);
    if (result.rows.length > 0) this.onCommitted?.(partition, result.rows, result.commit);
    return { stored: result.stored, storedKeys: result.storedKeys, duplicates: result.duplicates };
  }

  /** One keyed event by its natural key (one point read), if stored. */
  async readKeyed(partition: string, key: string): Promise<EventEnvelope | undefined> {
    assertStreamId(partition);
    assertStreamId(key);
    try {
      return await fromColumns(await (await this.events).getEntity<EventColumns>(partition, keyRowKey(key)), this.container);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The events of a keyed commit row, in order. */
  async expandCommit(stream: string, commit: CommitColumns): Promise<EventColumns[]> {
    const table = await this.events;
    const keys = JSON.parse(commit.keys) as string[];
    return Promise.all(keys.map((key) => table.getEntity<EventColumns>(stream, keyRowKey(key)).then((row) => row as EventColumns)));
  }

  /**
   * The events of a keyed commit after the one at `afterVersion`, in order (none when
   * it was the commit's last): what a relay cut short must still place.
   */
  async commitRest(stream: string, commit: number, afterVersion: number): Promise<EventColumns[]> {
    const table = await this.events;
    let row: CommitColumns;
    try {
      row = await table.getEntity<CommitColumns>(stream, versionKey(commit));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const keys = JSON.parse(row.keys) as string[];
    const placed = afterVersion - commit * keyedVersionStride;
    if (placed >= keys.length) return [];
    return this.expandCommit(stream, { ...row, keys: JSON.stringify(keys.slice(placed)) });
  }

  /** What the caller `who` did under an idempotency key on a stream, if anything. */
  async findIdempotency(stream: string, key: string, who: string): Promise<IdempotencyRecord | undefined> {
    const table = await this.events;
    try {
      const row = await table.getEntity<IdempotencyRecord>(stream, idempotencyRowKey(who, key));
      return { key: row.key, who: row.who, request: row.request, commandId: row.commandId, fromVersion: Number(row.fromVersion), toVersion: Number(row.toVersion) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** A stream's events in version order: one partition range query. */
  async read(stream: string, options: ReadOptions = {}): Promise<EventEnvelope[]> {
    const events: EventEnvelope[] = [];
    for await (const event of this.iterate(stream, options)) events.push(event);
    return events;
  }

  async *iterate(stream: string, options: ReadOptions = {}): AsyncGenerator<EventEnvelope> {
    assertStreamId(stream);
    const table = await this.events;
    const from = versionKey(Math.max(1, options.fromVersion ?? 1));
    const to = versionKey(options.toVersion ?? 9_999_999_999);
    const asOf = options.asOf?.toISOString();
    const rows = table.listEntities<EventColumns>({
      queryOptions: { filter: odata`PartitionKey eq ${stream} and RowKey ge ${from} and RowKey le ${to}` },
    });
    for await (const row of rows) {
      // Versions are appended in time order, so the first later event ends an as-of read.
      if (asOf && row.at > asOf) return;
      if (isCommitRow(row)) {
        for (const event of await this.expandCommit(stream, row)) yield await fromColumns(event, this.container);
      } else {
        yield await fromColumns(row, this.container);
      }
    }
  }

  /** The highest version in a stream (0 when empty) without reading every event. */
  async head(stream: string, knownVersion = 0): Promise<number> {
    let version = knownVersion;
    const table = await this.events;
    const rows = table.listEntities<{ v: number }>({
      queryOptions: { filter: odata`PartitionKey eq ${stream} and RowKey gt ${versionKey(knownVersion)} and RowKey le ${versionKey(9_999_999_999)}`, select: ['v'] },
    });
    for await (const row of rows) version = Math.max(version, Number(row.v));
    return version;
  }

  /** Raw rows after a version, for the relay (no decoding of claimed bodies). */
  async *rowsAfter(stream: string, afterVersion: number): AsyncGenerator<EventColumns | CommitColumns> {
    const table = await this.events;
    yield* table.listEntities<EventColumns | CommitColumns>({
      queryOptions: { filter: odata`PartitionKey eq ${stream} and RowKey gt ${versionKey(afterVersion)} and RowKey le ${versionKey(9_999_999_999)}` },
    });
  }

  /** Where the relay last left a retired stream (0 when never). */
  async relayedVersion(stream: string): Promise<number> {
    const table = await this.events;
    try {
      const row = await table.getEntity<{ v: number }>(stream, '~relayed');
      return Number(row.v);
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
  }

  /**
   * Moves a retired stream's cursor forward, never back: a relay that lost its lease may
   * still be retiring the stream with an older position, and must not undo its successor.
   */
  async setRelayedVersion(stream: string, version: number): Promise<void> {
    const table = await this.events;
    for (;;) {
      let current: { v: number; etag: string } | undefined;
      try {
        current = await table.getEntity<{ v: number }>(stream, '~relayed');
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      if (current && Number(current.v) >= version) return;
      try {
        const row = { partitionKey: stream, rowKey: '~relayed', v: version };
        if (current) await table.updateEntity(row, 'Replace', { etag: current.etag });
        else await table.createEntity(row);
        return;
      } catch (error) {
        if (!isConflict(error) && !isPreconditionFailed(error)) throw error;
      }
    }
  }

  decode(row: EventColumns): Promise<EventEnvelope> {
    return fromColumns(row, this.container);
  }
}

export function isCommitRow(row: EventColumns | CommitColumns): row is CommitColumns {
  return (row as CommitColumns).kind === 'commit';
}
