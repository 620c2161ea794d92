import type { FeedEntry } from '../events/envelope.ts';

/** A command a reaction sends: to an aggregate of its own context (or another mounted one). */
export interface ReactionCommand {
  /** Default: the context the reaction belongs to. */
  context?: string;
  aggregate: string;
  command: string;
  input: unknown;
}

/**
 * A reaction (seed 003's choreography): when another context publishes an event, this
 * context acts on it, with no one holding the transaction's state. It reads the
 * source's feed through a consumed contract (published events only), and each event it
 * reacts to becomes commands sent with keys derived from the event (`reaction:{name}:
 * {event id}:{i}`), so an event met again after a crash or a redelivery changes nothing
 * twice. Choose a process manager instead when the flow has several steps, must be
 * compensated, or must be followed as one thing (docs/sagas.md).
 */
export interface ReactionDefinition {
  /** Lower-case letters and digits; its lease is `reaction-{name}`. */
  name: string;
  /** The context whose published events it reads: named in this context's consumed contracts. */
  source: string;
  /** The published event types it reacts to (others only move its position). */
  events: string[];
  /** Pure: the commands an event leads to (none is fine). */
  react: (entry: FeedEntry) => ReactionCommand[];
}

const namePattern = /^[a-z][a-z0-9]{1,30}$/;

export function defineReaction(definition: ReactionDefinition): ReactionDefinition {
  if (!namePattern.test(definition.name)) throw new Error(`reaction name "${definition.name}" must be 2-31 lower-case letters or digits, starting with a letter`);
  if (definition.events.length === 0) throw new Error(`reaction ${definition.name} reacts to no event`);
  return definition;
}

/** The idempotency key of the i-th command an event leads to. */
export const reactionKey = (reaction: string, eventId: string, index: number) => `reaction:${reaction}:${eventId}:${index}`;
