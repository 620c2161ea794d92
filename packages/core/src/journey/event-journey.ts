import { odata, type TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { Principal } from '../auth/principal.ts';
import type { ContextDefinition } from '../context/define-context.ts';
import { lettersAtSeq, type DeadLetter } from '../projection/dead-letters.ts';
import { checkpointBlob, readJson, type ProjectionCheckpoint } from '../projection/generations.ts';
import { runnerKey } from '../projection/runner-keys.ts';
import type { FeedReader } from '../relay/feed.ts';
import type { MergeJournal } from '../relay/merged-feed.ts';
import { partitionOf } from '../relay/partitions.ts';
import { versionKey } from '../store/keys.ts';
import { isNotFound } from '../store/storage.ts';
import { parseTraceparent } from '../tracing/trace-context.ts';
import type { ApplyLog } from './apply-log.ts';

/**
 * An event's journey, from the platform's own records: accepted (the command's decision,
 * which is when the event occurred), stored (the event row's commit time), placed in the
 * feed (the relay's time), applied by each projection of its context (the apply log),
 * delivered to each webhook that covers it (the delivery log). No tracing backend needed.
 */
export interface EventJourney {
  eventId: string;
  context: string;
  type: string;
  stream: string;
  version: number;
  traceparent?: string;
  traceId?: string;
  accepted: { at: string };
  stored: { at?: string };
  placed: { state: 'placed'; seq: number; at?: string } | { state: 'pending' };
  projections: ProjectionStep[];
  deliveries: DeliveryStep[];
}

export interface ProjectionStep {
  projection: string;
  /** The runner that applies the event (`{name}~p{p}` for a partitioned projection's partition p > 0). */
  runner: string;
  /** The view generation readers use: the journey reports that generation's application. */
  generation: number;
  /** `applied` without `at`: applied before the apply log's retention, or by a rebuild. */
  state: 'applied' | 'pending' | 'parked' | 'skipped';
  at?: string;
  error?: string;
}

export interface DeliveryStep {
  /** What received it (a webhook subscription's id). */
  subscription: string;
  kind: 'webhook';
  url: string;
  state: 'delivered' | 'pending' | 'failing';
  at?: string;
  attempts: number;
  /** HTTP status of the last attempt (0: no answer). */
  status?: number;
  error?: string;
}

/** The event as located by its context (a stream, a version, and the feed seq once placed). */
export interface JourneyEvent {
  stream: string;
  version: number;
  seq?: number;
}

/** Who else records an event's progress (the gateway's webhooks), asked with the caller so it shows only what they may see. */
export interface DeliverySource {
  deliveries(request: { context: string; eventId: string; type: string; seq: number; placedAt: number; principal: Principal }): Promise<DeliveryStep[]>;
}

export interface JourneyParts {
  definition: ContextDefinition;
  events: Promise<TableClient>;
  deadLetters: Promise<TableClient>;
  container: () => Promise<ContainerClient>;
  feed: FeedReader;
  /** Set when the feed is partitioned: maps a merged seq to its partition's. */
  journal?: MergeJournal;
  partitions: number;
  applyLog: ApplyLog;
  sources: readonly DeliverySource[];
}

interface EventRow {
  id: string;
  type: string;
  at: string;
  tp?: string;
  timestamp?: string;
}

/** The journey of the event at `stream`/`version`; undefined when the store has no such event. */
export async function eventJourney(parts: JourneyParts, located: JourneyEvent, principal: Principal): Promise<EventJourney | undefined> {
  const row = await readRow(await parts.events, located.stream, located.version);
  if (!row) return undefined;
  const trace = parseTraceparent(row.tp);
  const base = {
    eventId: row.id,
    context: parts.definition.name,
    type: row.type,
    stream: located.stream,
    version: located.version,
    ...(row.tp ? { traceparent: row.tp } : {}),
    ...(trace ? { traceId: trace.traceId } : {}),
    accepted: { at: row.at },
    stored: row.timestamp ? { at: row.timestamp } : {},
  };
  const placedRow = located.seq !== undefined ? (await parts.feed.rowsAfter(located.seq - 1, 1))[0] : undefined;
  if (located.seq === undefined || !placedRow || Number(placedRow.seq) !== located.seq || placedRow.id !== row.id) {
    const projections = handling(parts.definition, row.type).map((name) => ({ projection: name, runner: name, generation: 0, state: 'pending' as const }));
    return { ...base, placed: { state: 'pending' }, projections, deliveries: [] };
  }
  const seq = located.seq;
  const placedAt = Date.parse(placedRow.rat ?? row.at);
  const [projections, deliveries] = await Promise.all([
    Promise.all(handling(parts.definition, row.type).map((name) => projectionStep(parts, name, located.stream, seq, placedAt))),
    Promise.all(parts.sources.map((source) => source.deliveries({ context: parts.definition.name, eventId: row.id, type: row.type, seq, placedAt, principal }))),
  ]);
  return { ...base, placed: { state: 'placed', seq, ...(placedRow.rat ? { at: placedRow.rat } : {}) }, projections, deliveries: deliveries.flat() };
}

/** The context's own projections that apply this type. */
function handling(definition: ContextDefinition, type: string): string[] {
  return definition.projections.filter((p) => (!p.source || p.source === definition.name) && p.handles.includes(type)).map((p) => p.name);
}

async function readRow(table: TableClient, stream: string, version: number): Promise<EventRow | undefined> {
  try {
    return await table.getEntity<EventRow>(stream, versionKey(version));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function projectionStep(parts: JourneyParts, name: string, stream: string, seq: number, placedAt: number): Promise<ProjectionStep> {
  const definition = parts.definition.projections.find((p) => p.name === name)!;
  // A partitioned projection's runner counts in its partition's order.
  const partitioned = definition.partitioned === true && parts.partitions > 1;
  const partition = partitioned ? partitionOf(stream, parts.partitions) : 0;
  const runner = runnerKey(name, partition);
  const position = partitioned ? await partitionSeq(parts.journal!, seq, partition) : seq;
  const [checkpoint, readers] = await Promise.all([
    readJson<ProjectionCheckpoint>(await parts.container(), checkpointBlob(runner)),
    // The first runner's checkpoint names the generation readers use.
    partition === 0 ? undefined : readJson<ProjectionCheckpoint>(await parts.container(), checkpointBlob(name)),
  ]);
  const generation = (readers ?? checkpoint)?.value.generation ?? 0;
  const step = { projection: name, runner, generation };
  if (position === undefined) return { ...step, state: 'pending' };
  const letter = await liveLetter(await parts.deadLetters, runner, position, generation, checkpoint?.value);
  if (letter && (letter.state === 'parked' || letter.state === 'retry-requested')) return { ...step, state: 'parked', at: letter.at, error: firstLine(letter.error) };
  if (letter?.state === 'skipped') return { ...step, state: 'skipped', at: letter.at };
  // A retried letter was applied by the retry, not by the batch that parked it.
  if (letter?.state === 'retried') {
    const retriedAt = (letter as DeadLetter & { retriedAt?: string }).retriedAt;
    return { ...step, state: 'applied', ...(retriedAt ? { at: retriedAt } : {}) };
  }
  if ((checkpoint?.value.seq ?? 0) < position) return { ...step, state: 'pending' };
  const at = await parts.applyLog.find(runner, generation, position, placedAt);
  return { ...step, state: 'applied', ...(at !== undefined ? { at: new Date(at).toISOString() } : {}) };
}

/** The live generation's letter for this event: in the table, or parked and saved with the checkpoint but not yet written there. */
async function liveLetter(table: TableClient, runner: string, seq: number, generation: number, checkpoint: ProjectionCheckpoint | undefined): Promise<DeadLetter | undefined> {
  const saved = checkpoint?.parked?.find((letter) => letter.seq === seq && (letter.generation ?? 0) === generation);
  if (saved) return saved;
  const keys = lettersAtSeq(seq);
  const rows = table.listEntities<DeadLetter>({ queryOptions: { filter: odata`PartitionKey eq ${runner} and RowKey ge ${keys.from} and RowKey lt ${keys.to}` } });
  for await (const row of rows) if (Number(row.generation ?? 0) === generation && row.state !== 'superseded') return row;
  return undefined;
}

/** Where a merged seq sits in its partition's own order (undefined if the merge journal does not hold it yet). */
async function partitionSeq(journal: MergeJournal, seq: number, partition: number): Promise<number | undefined> {
  const step = await journal.containing(seq - 1);
  if (!step) return undefined;
  let offset = step.start;
  for (let p = 0; p < partition; p++) offset += (step.to[p] ?? 0) - (step.from[p] ?? 0);
  return (step.from[partition] ?? 0) + (seq - offset);
}

const firstLine = (text: string | undefined) => text?.split('\n')[0]?.slice(0, 500);
