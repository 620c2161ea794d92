import { odata, type TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { channels, type Bus } from '../bus/bus.ts';
import type { AggregateDefinition } from '../command/define-aggregate.ts';
import type { EventDefinition } from '../events/define-event.ts';
import type { EventEnvelope, FeedEntry, NewEvent } from '../events/envelope.ts';
import { issuesToErrors, problems } from '../http/problem.ts';
import type { DeadLetter } from '../projection/runner.ts';
import type { ProjectionDefinition } from '../projection/define-projection.ts';
import { parseRunnerKey, runnerKeys } from '../projection/runner-keys.ts';
import { Generations } from '../projection/generations.ts';
import { GenerationalViews, viewTableParts } from './views.ts';
import { cancelRebuild, rebuildStatus, requestRebuild } from '../projection/rebuild-requests.ts';
import type { Feed, FeedReader } from '../relay/feed.ts';
import { openFeed, type MergedFeed } from '../relay/merged-feed.ts';
import { partitionOf } from '../relay/partitions.ts';
import type { CommittedHint, CommittedHints } from '../relay/relay.ts';
import type { EventColumns } from '../store/codec.ts';
import { commandFingerprint } from '../command/fingerprint.ts';
import { AppendOutcomeUnknownError, ConcurrencyError, DuplicateCommandError, EventStore, type IdempotencyRecord } from '../store/event-store.ts';
import { maxKeyedEvents } from '../store/keyed-append.ts';
import { assertStreamId } from '../store/keys.ts';
import { lettersAtSeq } from '../projection/dead-letters.ts';
import { mapLimit } from '../worker/map-limit.ts';
import { Snapshots } from '../store/snapshots.ts';
import { isNotFound, isPreconditionFailed, type Storage } from '../store/storage.ts';
import { inSpan } from '../tracing/telemetry.ts';
import type { CommandAccepted, CommandRequest, IngestItem, IngestResult, CommandStatus, ContextRuntime, StreamReadOptions, ViewReader } from './context-runtime.ts';
import { feedPartitions, type ContextDefinition } from './define-context.ts';
import type { ProcessRunner } from '../process/process-runner.ts';
import { Progress } from './progress.ts';
import { ApplyLog } from '../journey/apply-log.ts';
import { eventJourney, type DeliverySource, type EventJourney, type JourneyEvent } from '../journey/event-journey.ts';
import type { Principal } from '../auth/principal.ts';
import { StateCache } from './state-cache.ts';

// Aggregates differ in state and command types; each is checked where it is defined.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyAggregate = AggregateDefinition<any, any>;

const maxAttempts = 5;
const statusTtlSeconds = 3600;
/** Hints carry rows up to this size; larger commits make the relay read them. */
const hintRowsLimit = 256_000;
const idempotencyKeyPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** The runtime of one context in this process: its store, feed, commands and views. */
export class LocalContext implements ContextRuntime {
  readonly name: string;
  readonly definition: ContextDefinition;
  readonly bus: Bus;
  readonly log: Logger;
  readonly store: EventStore;
  /** The feed as consumers read it: one total order, merged when partitioned. */
  readonly feed: FeedReader;
  /** The feed's partitions, each written by its own relay (one for an unpartitioned feed). */
  readonly partitions: readonly Feed[];
  /** Set when the feed is partitioned: the merged order its merger writes. */
  readonly merged: MergedFeed | undefined;
  readonly progress: Progress;
  readonly views: ViewReader;
  readonly generations: Generations;
  readonly counters = { appends: 0, events: 0 };
  /** The process managers of this context, by name (set up by the runtime, which knows the other contexts). */
  // biome-ignore lint: processes differ in state and start types
  readonly processes = new Map<string, ProcessRunner<any, any>>();
  /** When this context's projections applied what (written by their runners, read by journeys). */
  readonly applyLog: ApplyLog;
  /** Others that record an event's progress (the gateway's webhooks). */
  readonly deliverySources: DeliverySource[] = [];
  private readonly storage: Storage;
  private readonly eventTypes: Map<string, EventDefinition>;
  private readonly aggregates: Map<string, AnyAggregate>;
  private readonly snapshots: Snapshots;
  private readonly cache = new StateCache(10_000);
  private readonly pendingHints = new Map<number, CommittedHint[]>();
  private hintsScheduled = false;

  /** This process's wall clock: when commands are decided and events occur. */
  private readonly clock: () => number;

  constructor(definition: ContextDefinition, storage: Storage, bus: Bus, log: Logger, loadCheckpoint: (projection: string) => Promise<number>, clock: () => number = Date.now) {
    this.clock = clock;
    this.name = definition.name;
    this.definition = definition;
    this.storage = storage;
    this.bus = bus;
    this.log = log.child({ context: definition.name });
    this.store = new EventStore(storage, definition.name);
    this.store.onCommitted = (stream, rows, commit) => this.hint(stream, rows, commit);
    ({ feed: this.feed, partitions: this.partitions, merged: this.merged } = openFeed(storage, definition.name, feedPartitions(definition)));
    this.snapshots = new Snapshots(() => storage.container(definition.name));
    this.eventTypes = new Map(definition.events.map((e) => [e.type, e]));
    this.aggregates = new Map(definition.aggregates.map((a) => [a.name, a]));
    const ownProjections = definition.projections.filter((p) => !p.source || p.source === definition.name);
    // A partitioned projection over one partition is one runner over the feed, as any other.
    const partitioned = (p: ProjectionDefinition) => p.partitioned === true && this.partitions.length > 1;
    this.progress = new Progress(
      definition.name,
      ownProjections.flatMap((p) => {
        const handles = new Set(p.handles);
        return partitioned(p) ? runnerKeys(p, this.partitions.length).map((key, partition) => ({ key, partition, handles })) : [{ key: p.name, handles }];
      }),
      loadCheckpoint,
    );
    this.generations = new Generations(() => storage.container(definition.name));
    this.applyLog = new ApplyLog(storage, definition.name);
    this.views = new GenerationalViews(storage, definition, this.generations);
  }

  async ready(): Promise<void> {
    await Promise.all([this.store.ready(), ...this.partitions.map((p) => p.ready()), this.merged?.journal.ready()]);
    await this.bus.subscribe(channels.viewSwapped(this.name), (message) => this.generations.forget((message as { projection: string }).projection));
  }

  /** A view table of a generation, created if need be (for the projection runner). */
  viewTable(table: string, generation: number): Promise<TableClient> {
    return this.storage.table(...viewTableParts(this.name, table, generation));
  }

  async dropViewGeneration(tables: string[], generation: number): Promise<void> {
    for (const table of tables) {
      await this.storage.deleteTable(this.storage.tableName(...viewTableParts(this.name, table, generation))).catch((error) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }

  readonly rebuilds = {
    request: (projection: string, who: string) => requestRebuild(this, projection, who),
    cancel: (projection: string) => cancelRebuild(this, projection),
    status: (projection: string) => rebuildStatus(this, projection),
  };

  /** Parked events, of one projection (all its partitions' runners) or of all; a letter names its runner. */
  async deadLetters(projection?: string): Promise<DeadLetter[]> {
    const table = await this.storage.table(this.name, 'DeadLetters');
    const letters: DeadLetter[] = [];
    const definition = projection === undefined ? undefined : this.definition.projections.find((p) => p.name === projection);
    const keys = definition ? runnerKeys(definition, this.partitions.length) : projection === undefined ? [] : [projection];
    const filter = keys.length > 0 ? { filter: keys.map((key) => odata`PartitionKey eq ${key}`).join(' or ') } : {};
    for await (const row of table.listEntities<DeadLetter>({ queryOptions: filter })) {
      letters.push({
        projection: row.projection,
        seq: Number(row.seq),
        eventId: row.eventId,
        type: row.type,
        stream: row.stream,
        error: row.error,
        at: row.at,
        state: row.state ?? 'parked',
        attempts: Number(row.attempts ?? 1),
        generation: Number(row.generation ?? 0),
      });
    }
    return letters;
  }

  /**
   * Retry asks the projection's runner to apply the parked event again; skip leaves it
   * out for good. Only a parked letter can be resolved: retrying one that was retried
   * already would apply its event twice.
   */
  async resolveDeadLetter(projection: string, seq: number, action: 'retry' | 'skip'): Promise<void> {
    // A partitioned projection's letter names its runner (`name~p2`).
    const { projection: name, partition } = parseRunnerKey(projection);
    const definition = this.definition.projections.find((p) => p.name === name);
    if (!definition || partition >= runnerKeys(definition, this.partitions.length).length) throw problems.notFound(`context ${this.name} has no projection ${projection}`);
    const table = await this.storage.table(this.name, 'DeadLetters');
    // The letters at this seq: the live view's, and a rebuild's shadow's if it failed there too.
    const { from, to } = lettersAtSeq(seq);
    const letters: (DeadLetter & { etag: string; rowKey?: string })[] = [];
    for await (const row of table.listEntities<DeadLetter>({ queryOptions: { filter: odata`PartitionKey eq ${projection} and RowKey ge ${from} and RowKey lt ${to}` } })) letters.push(row as DeadLetter & { etag: string });
    const current = letters.filter((letter) => (letter.state ?? 'parked') !== 'superseded');
    if (current.length === 0) throw problems.notFound(`no dead letter at ${projection} seq ${seq}`);
    const parked = current.filter((letter) => (letter.state ?? 'parked') === 'parked');
    if (parked.length === 0) throw problems.conflict(`the dead letter at ${projection} seq ${seq} is ${current[0]!.state}, not parked`);
    for (const letter of parked) {
      try {
        await table.updateEntity({ partitionKey: projection, rowKey: letter.rowKey!, state: action === 'retry' ? 'retry-requested' : 'skipped' }, 'Merge', { etag: letter.etag });
      } catch (error) {
        if (isPreconditionFailed(error)) throw problems.conflict(`the dead letter at ${projection} seq ${seq} changed meanwhile; look again`);
        throw error;
      }
    }
    if (action === 'retry') void this.bus.publish(channels.rebuild(this.name), { context: this.name, projection: name, state: 'retry-requested' });
  }

  container(): Promise<ContainerClient> {
    return this.storage.container(this.name);
  }

  /** Names the projections of this context (a rebuild target must be one). */
  hasProjection(name: string): boolean {
    return this.definition.projections.some((p) => p.name === name);
  }

  /**
   * Commands on one stream run one at a time in this process: in parallel they would
   * only fight over the next version. Other processes are still caught by the conflict.
   */
  private readonly streamQueues = new Map<string, Promise<unknown>>();

  private serialized<T>(stream: string, work: () => Promise<T>): Promise<T> {
    const previous = this.streamQueues.get(stream) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.streamQueues.set(stream, next);
    void next
      .finally(() => {
        if (this.streamQueues.get(stream) === next) this.streamQueues.delete(stream);
      })
      .catch(() => undefined);
    return next;
  }

  async execute(aggregateName: string, commandName: string, input: unknown, request: CommandRequest): Promise<CommandAccepted> {
    const aggregate = this.aggregate(aggregateName);
    const command = aggregate.commands[commandName];
    if (!command) throw problems.notFound(`aggregate ${aggregateName} has no command ${commandName}`);
    const parsed = command.schema.safeParse(input);
    if (!parsed.success) throw problems.validation(issuesToErrors(parsed.error.issues));
    const stream: string = command.stream(parsed.data);
    try {
      assertStreamId(stream);
    } catch (error) {
      throw problems.validation({ stream: [(error as Error).message] });
    }
    const key = request.idempotencyKey;
    if (key !== undefined && !idempotencyKeyPattern.test(key)) {
      throw problems.validation({ 'Idempotency-Key': ['must be 1-128 letters, digits, or . _ : -'] });
    }
    const who = request.principal.sub;
    const fingerprint = commandFingerprint(aggregateName, commandName, parsed.data);
    if (key !== undefined) {
      // A key is the caller's own: another caller's equal key is another command.
      const earlier = await this.store.findIdempotency(stream, key, who);
      if (earlier) return this.answerDuplicate(stream, earlier, fingerprint);
    }
    const spanAttributes = { 'eventloom.context': this.name, 'eventloom.command': `${aggregateName}.${commandName}`, 'eventloom.stream': stream };
    return this.serialized(stream, async () => {
      const commandId = uuidv7();
      const correlationId = request.correlationId ?? commandId;
      // The first try trusts the cached state: insert-only rows make a stale cache fail
      // with a conflict, and then the state is read again. A refusal is only believed
      // when it was decided on state read fresh from the store.
      let fresh = false;
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const now = new Date(this.clock());
        // The decide span: the state read (cached or fresh) and the decision on it.
        const { state, version, verified, decided, refused } = await inSpan('decide', { ...spanAttributes, 'eventloom.attempt': attempt }, async () => {
          const read = await this.currentState(aggregate, stream, fresh);
          try {
            return { ...read, decided: command.decide(parsed.data, read.state, { principal: request.principal, now }) as NewEvent[], refused: undefined };
          } catch (error) {
            return { ...read, decided: [] as NewEvent[], refused: { error } };
          }
        });
        if (refused) {
          if (!verified) {
            fresh = true;
            continue;
          }
          // A send of the same command (same key) may have landed meanwhile: its answer is
          // this one's, not a refusal decided on the state it left.
          const twin = key !== undefined ? await this.store.findIdempotency(stream, key, who) : undefined;
          if (twin) return this.answerDuplicate(stream, twin, fingerprint);
          throw refused.error;
        }
        if (decided.length === 0) {
          if (!verified) {
            fresh = true;
            continue;
          }
          const twin = key !== undefined ? await this.store.findIdempotency(stream, key, who) : undefined;
          if (twin) return this.answerDuplicate(stream, twin, fingerprint);
          return { commandId, stream, events: [], duplicate: false };
        }
        const newEvents = decided.map((event: NewEvent) => ({ ...event, schemaVersion: event.schemaVersion ?? this.eventTypes.get(event.type)?.version ?? 1 }));
        try {
          const metadata = { who: request.principal.sub, correlationId, causationId: commandId, occurredAt: now.toISOString() };
          // The events record the append span's trace context (or the request's, telemetry off).
          const events = await inSpan('append', { ...spanAttributes, 'eventloom.events': newEvents.length }, () =>
            this.store.append(stream, version, newEvents, metadata, key ? { idempotency: { key, commandId, request: fingerprint } } : {}),
          );
          this.counters.appends++;
          this.counters.events += events.length;
          this.remember(aggregate, stream, state, version, events);
          const status: CommandStatus = { commandId, context: this.name, state: 'accepted', stream, eventIds: events.map((e) => e.id) };
          void this.bus.remember(statusKey(commandId), status, statusTtlSeconds);
          return { commandId, stream, events, duplicate: false };
        } catch (error) {
          if (error instanceof DuplicateCommandError) return this.answerDuplicate(stream, error.record, fingerprint);
          if (error instanceof AppendOutcomeUnknownError) {
            throw problems.unavailable(`${error.message}. It may have been applied: send it again with the same Idempotency-Key to find out.`);
          }
          if (!(error instanceof ConcurrencyError)) throw error;
          this.cache.forget(aggregate.name, stream);
          fresh = true;
        }
      }
      throw problems.conflict(`stream ${stream} is busy; retry the command`, { retryable: true });
    });
  }

  async ingest(items: IngestItem[], request: CommandRequest): Promise<IngestResult[]> {
    const byPartition = new Map<string, IngestItem[]>();
    for (const [index, item] of items.entries()) {
      for (const field of ['partition', 'key'] as const) {
        try {
          assertStreamId(item[field]);
        } catch (error) {
          throw problems.validation({ [`${index}.${field}`]: [(error as Error).message] }, `item ${index}: ${(error as Error).message}`);
        }
      }
      byPartition.set(item.partition, [...(byPartition.get(item.partition) ?? []), item]);
    }
    const correlationId = request.correlationId ?? uuidv7();
    const metadata = { who: request.principal.sub, correlationId, causationId: correlationId };
    const results = new Map<string, IngestResult>();
    await mapLimit([...byPartition], 8, async ([partition, group]) => {
      // Chunks of one partition go one after another: they would only fight over positions.
      for (let i = 0; i < group.length; i += maxKeyedEvents) {
        const chunk = group.slice(i, i + maxKeyedEvents).map((item) => ({
          key: item.key,
          event: { ...item.event, schemaVersion: item.event.schemaVersion ?? this.eventTypes.get(item.event.type)?.version ?? 1 },
        }));
        const attributes = { 'eventloom.context': this.name, 'eventloom.stream': partition, 'eventloom.events': chunk.length };
        const { stored, storedKeys, duplicates } = await inSpan('append', attributes, () => this.store.appendKeyed(partition, chunk, { ...metadata, occurredAt: new Date(this.clock()).toISOString() }));
        stored.forEach((event, j) => results.set(`${partition}\u0000${storedKeys[j]}`, { key: storedKeys[j]!, partition, status: 'stored', event }));
        for (const key of duplicates) {
          const id = `${partition}\u0000${key}`;
          if (!results.has(id)) results.set(id, { key, partition, status: 'duplicate' });
        }
      }
      this.counters.appends++;
    });
    this.counters.events += [...results.values()].filter((r) => r.status === 'stored').length;
    // A key listed twice in one call: the first is stored, the second is a duplicate.
    const seen = new Set<string>();
    return items.map((item) => {
      const id = `${item.partition}\u0000${item.key}`;
      const result = results.get(id)!;
      if (seen.has(id)) return { key: item.key, partition: item.partition, status: 'duplicate' };
      seen.add(id);
      return result;
    });
  }

  async readKeyed(partition: string, key: string): Promise<EventEnvelope | undefined> {
    const event = await this.store.readKeyed(partition, key);
    return event && this.upcast(event);
  }

  waitForViews(accepted: CommandAccepted, timeoutMs: number): Promise<boolean> {
    return this.progress.wait(accepted.events.map((e) => e.id), timeoutMs);
  }

  async commandStatus(commandId: string): Promise<CommandStatus | undefined> {
    const status = await this.bus.recall<CommandStatus>(statusKey(commandId));
    if (!status) return undefined;
    const seqs = status.eventIds.map((id) => this.progress.seq(id));
    const seq = seqs.every((s) => s !== undefined) && seqs.length > 0 ? Math.max(...(seqs as number[])) : undefined;
    return { ...status, state: this.progress.applied(status.eventIds) ? 'applied' : 'accepted', ...(seq !== undefined ? { seq } : {}) };
  }

  async readStream(stream: string, options: StreamReadOptions = {}): Promise<EventEnvelope[]> {
    const events = await this.store.read(stream, options);
    return events.map((e) => this.upcast(e));
  }

  async loadState<TState>(aggregateName: string, stream: string, options: StreamReadOptions = {}): Promise<{ state: TState; version: number }> {
    const aggregate = this.aggregate(aggregateName);
    if (options.toVersion === undefined && options.asOf === undefined) {
      const { state, version } = await this.currentState(aggregate, stream, true);
      return { state: state as TState, version };
    }
    let state = aggregate.initialState() as TState;
    let version = 0;
    for await (const event of this.store.iterate(stream, options)) {
      state = aggregate.evolve(state, this.upcast(event));
      version = event.version;
    }
    return { state, version };
  }

  journey(event: JourneyEvent, principal: Principal): Promise<EventJourney | undefined> {
    return eventJourney(
      {
        definition: this.definition,
        events: this.storage.table(this.name, 'Events'),
        deadLetters: this.storage.table(this.name, 'DeadLetters'),
        container: () => this.storage.container(this.name),
        feed: this.feed,
        ...(this.merged ? { journal: this.merged.journal } : {}),
        partitions: this.partitions.length,
        applyLog: this.applyLog,
        sources: this.deliverySources,
      },
      event,
      principal,
    );
  }

  async readFeed(afterSeq: number, limit: number): Promise<FeedEntry[]> {
    const entries = await this.feed.read(afterSeq, limit);
    return entries.map((e) => this.upcast(e));
  }

  /** Reads stored data as the current version of its event type. */
  upcast<T extends EventEnvelope>(event: T): T {
    const definition = this.eventTypes.get(event.type);
    if (!definition || definition.version === event.schemaVersion) return event;
    return { ...event, data: definition.read(event.schemaVersion, event.data), schemaVersion: definition.version };
  }

  private aggregate(name: string): AnyAggregate {
    const aggregate = this.aggregates.get(name);
    if (!aggregate) throw problems.notFound(`context ${this.name} has no aggregate ${name}`);
    return aggregate;
  }

  /**
   * Latest state: from memory (unverified: no request at all), else a snapshot plus the
   * events after it (verified: one query, or two with the snapshot).
   */
  private async currentState(aggregate: AnyAggregate, stream: string, fresh: boolean): Promise<{ state: unknown; version: number; snapshotVersion: number; verified: boolean }> {
    let base = this.cache.get(aggregate.name, stream);
    if (base && !fresh) return { ...base, verified: false };
    if (!base) {
      const snapshot = await this.snapshots.load(aggregate.name, stream);
      base = snapshot
        ? { state: snapshot.state, version: snapshot.version, snapshotVersion: snapshot.version }
        : { state: aggregate.initialState(), version: 0, snapshotVersion: 0 };
    }
    let { state, version } = base;
    for await (const event of this.store.iterate(stream, { fromVersion: version + 1 })) {
      state = aggregate.evolve(state, this.upcast(event));
      version = event.version;
    }
    const current = { state, version, snapshotVersion: base.snapshotVersion };
    this.cache.set(aggregate.name, stream, current);
    return { ...current, verified: true };
  }

  private remember(aggregate: AnyAggregate, stream: string, state: unknown, _version: number, events: EventEnvelope[]): void {
    let next = state;
    for (const event of events) next = aggregate.evolve(next, this.upcast(event));
    const last = events[events.length - 1]!;
    const cached = this.cache.get(aggregate.name, stream);
    let snapshotVersion = cached?.snapshotVersion ?? 0;
    if (last.version - snapshotVersion >= (aggregate.snapshotEvery ?? 100)) {
      snapshotVersion = last.version;
      this.snapshots
        .save(aggregate.name, stream, { version: last.version, at: last.occurredAt, state: next })
        .catch((error) => this.log.warn({ err: (error as Error).message, stream }, 'snapshot not saved'));
    }
    this.cache.set(aggregate.name, stream, { state: next, version: last.version, snapshotVersion });
  }

  /** The first answer again, to a retry: the same caller with the same request. */
  private async answerDuplicate(stream: string, record: IdempotencyRecord, fingerprint: string): Promise<CommandAccepted> {
    if (record.request !== fingerprint) {
      throw problems.rejected('idempotency-key-reused', `Idempotency-Key ${record.key} was used for a different request; send a new key for a new request.`);
    }
    const events = await this.readStream(stream, { fromVersion: record.fromVersion, toVersion: record.toVersion });
    return { commandId: record.commandId, stream, events, duplicate: true };
  }

  /**
   * Commits of one tick go out as one message per feed partition (each partition's relay
   * reads its own log): one publish instead of one per append.
   */
  private hint(stream: string, rows: EventColumns[], commit?: number): void {
    const size = rows.reduce((sum, r) => sum + (r.data?.length ?? 0), 0);
    const partition = partitionOf(stream, this.partitions.length);
    const pending = this.pendingHints.get(partition) ?? [];
    this.pendingHints.set(partition, pending);
    pending.push({
      stream,
      version: commit ?? rows[rows.length - 1]!.v,
      ...(commit !== undefined ? { commit } : {}),
      ...(size <= hintRowsLimit ? { rows } : {}),
    });
    if (this.hintsScheduled) return;
    this.hintsScheduled = true;
    setImmediate(() => {
      this.hintsScheduled = false;
      for (const [p, batch] of this.pendingHints) {
        if (batch.length === 0) continue;
        this.pendingHints.set(p, []);
        void this.bus.appendLog(channels.commitLog(this.name, p), { batch } satisfies CommittedHints, channels.committed(this.name));
      }
    });
  }
}

const statusKey = (commandId: string) => `eventloom:command:${commandId}`;
