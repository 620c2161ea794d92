import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.ts';
import type { Bus } from '../bus/bus.ts';
import type { EventEnvelope, FeedEntry, NewEvent } from '../events/envelope.ts';
import type { FeedReader } from '../relay/feed.ts';
import type { ProcessRunner } from '../process/process-runner.ts';
import type { ViewRow } from '../projection/define-projection.ts';
import type { RebuildRecord } from '../projection/generations.ts';
import type { DeadLetter } from '../projection/runner.ts';
import type { ContextDefinition } from './define-context.ts';
import type { DeliverySource, EventJourney, JourneyEvent } from '../journey/event-journey.ts';

export interface CommandRequest {
  principal: Principal;
  /** Client-chosen; a repeat with the same key (same stream) is answered, not re-applied. */
  idempotencyKey?: string;
  correlationId?: string;
}

/** The answer to a command that was decided and appended. */
export interface CommandAccepted {
  commandId: string;
  stream: string;
  /** Versions written (empty when the decider produced no events). */
  events: EventEnvelope[];
  /** True when this answers an earlier command with the same idempotency key. */
  duplicate: boolean;
}

/** One event for high-volume ingestion, stored at most once per key. */
export interface IngestItem {
  /** Natural key (e.g. PaymentTransactionId); a re-sent key is reported as a duplicate. */
  key: string;
  /** Where it is stored. The same key must always map to the same partition. */
  partition: string;
  event: NewEvent;
}

export interface IngestResult {
  key: string;
  partition: string;
  status: 'stored' | 'duplicate';
  /** Set when stored by this call. */
  event?: EventEnvelope;
}

export type CommandState = 'accepted' | 'applied';

export interface CommandStatus {
  commandId: string;
  context: string;
  state: CommandState;
  stream: string;
  eventIds: string[];
  /** Feed seq of the command's last event once the relay has placed it. */
  seq?: number;
}

export interface ViewQuery {
  partitionKey?: string;
  /** Extra OData filter, always built with `odata` from @azure/data-tables. */
  filter?: string;
  limit?: number;
  /** Opaque continuation token from a previous page. */
  cursor?: string;
}

export interface ViewPage {
  rows: ViewRow[];
  cursor?: string;
}

export interface ViewReader {
  get(table: string, partitionKey: string, rowKey: string): Promise<ViewRow | undefined>;
  query(table: string, query?: ViewQuery): Promise<ViewPage>;
}

export interface StreamReadOptions {
  /** Read from this version on (default 1). */
  fromVersion?: number;
  /** Read up to and including this version. */
  toVersion?: number;
  /** Read events that occurred at or before this instant. */
  asOf?: Date;
}

export interface RebuildControl {
  /** Starts a rebuild into a shadow generation; 409 problem while one runs. */
  request(projection: string, who: string): Promise<RebuildRecord>;
  /** Drops the shadow; the live view stays. */
  cancel(projection: string): Promise<RebuildRecord>;
  status(projection: string): Promise<RebuildRecord | undefined>;
}

/** What a context's routes get to work with. */
export interface ContextRuntime {
  readonly name: string;
  readonly definition: ContextDefinition;
  readonly bus: Bus;
  readonly log: Logger;
  /** Validate → load state → decide → append. Throws ProblemError on bad input or refusal. */
  execute(aggregate: string, command: string, input: unknown, request: CommandRequest): Promise<CommandAccepted>;
  /**
   * Stores many keyed events, up to 99 per entity-group transaction per partition.
   * When it resolves, every `stored` event is durable; a call that fails part-way can be
   * re-sent whole: what was stored comes back as `duplicate`, nothing is doubled.
   */
  ingest(items: IngestItem[], request: CommandRequest): Promise<IngestResult[]>;
  /** One ingested event by its key (upcast), if stored. */
  readKeyed(partition: string, key: string): Promise<EventEnvelope | undefined>;
  /** Resolves true once every projection of the context has applied the command's events; false on timeout. */
  waitForViews(accepted: CommandAccepted, timeoutMs: number): Promise<boolean>;
  commandStatus(commandId: string): Promise<CommandStatus | undefined>;
  /** A stream's events (upcast), optionally as of a version or a time. */
  readStream(stream: string, options?: StreamReadOptions): Promise<EventEnvelope[]>;
  /** The aggregate's state as of a version or time (time travel). */
  loadState<TState>(aggregate: string, stream: string, options?: StreamReadOptions): Promise<{ state: TState; version: number }>;
  readonly views: ViewReader;
  readonly rebuilds: RebuildControl;
  /** Events a projection parked because its handler kept failing. */
  deadLetters(projection?: string): Promise<DeadLetter[]>;
  /** `retry` re-applies a parked event through the live runner; `skip` marks it skipped. */
  resolveDeadLetter(projection: string, seq: number, action: 'retry' | 'skip'): Promise<void>;
  /** The context's process managers, by name (absent in test doubles). */
  // biome-ignore lint: processes differ in state and start types
  readonly processes?: ReadonlyMap<string, ProcessRunner<any, any>>;
  /** The context's feed in its one total order (merged over its partitions, if any). */
  readonly feed: FeedReader;
  /** Published-or-not feed entries after a seq, in order. */
  readFeed(afterSeq: number, limit: number): Promise<FeedEntry[]>;
  /**
   * An event's journey from the platform's records: accepted, stored, placed, applied by
   * each projection, delivered to what the caller may see (absent in test doubles).
   * Authorize the caller for the event before asking.
   */
  journey?(event: JourneyEvent, principal: Principal): Promise<EventJourney | undefined>;
  /** Where the gateway adds the records it keeps of an event's deliveries (absent in test doubles). */
  readonly deliverySources?: DeliverySource[];
}
