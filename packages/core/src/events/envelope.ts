/** The immutable record of something that happened (seed 001: what, when, who, why). */
export interface EventEnvelope<TData = unknown> {
  /** UUIDv7: sortable by creation time. */
  id: string;
  /** Past tense, e.g. `Deposited`. */
  type: string;
  schemaVersion: number;
  /** Stream (aggregate instance) id; the event store's partition key. */
  stream: string;
  /** 1-based position in the stream. */
  version: number;
  /** ISO 8601 instant. */
  occurredAt: string;
  /** The principal that caused it (user id, `system`, or a consumer key id). */
  who: string;
  /** Ties together everything that one user action caused. */
  correlationId: string;
  /** The command or event that directly caused this one. */
  causationId: string;
  /** W3C trace context of the work that stored it (sampled or not); absent on events stored before it was recorded. */
  traceparent?: string;
  data: TData;
}

/** What a decider returns: the store fills in the rest of the envelope. */
export interface NewEvent<TData = unknown> {
  type: string;
  data: TData;
  /** Defaults to the event definition's current version. */
  schemaVersion?: number;
}

/** Who and why, carried from the command into every event it produces. */
export interface EventMetadata {
  who: string;
  correlationId: string;
  causationId: string;
  /** Defaults to now. Tests and imports may set it. */
  occurredAt?: string;
  /** Defaults to the current trace scope's (see tracing/trace-context.ts). */
  traceparent?: string;
}

/** A feed entry: an event with its position in the context's totally ordered feed. */
export interface FeedEntry<TData = unknown> extends EventEnvelope<TData> {
  /** Gapless, 1-based position in the context's feed. */
  seq: number;
}
