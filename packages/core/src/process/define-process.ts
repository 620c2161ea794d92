import type { z } from 'zod';
import type { FeedEntry, NewEvent } from '../events/envelope.ts';

/**
 * A process manager (seed 003's orchestrated saga): an instance per business
 * transaction, driven by inputs, answering with commands and timers. Its logic is one
 * pure function, `decide(state, input) → next state and outputs`, so a process is tested
 * with given/when/then and a clock that skips (`@eventloom/core/testing`, `processFlow`)
 * before it ever runs. The runtime records each input before its outputs in the
 * instance's own stream (docs/design/process-managers.md).
 */

/** What reaches a process instance. */
export type ProcessInput<TStart> =
  /** The instance begins (its start command, validated by `start.schema`). */
  | { kind: 'start'; data: TStart }
  /**
   * A command the instance sent was answered: accepted with the events it stored (a
   * command that records its own refusal as an event, durable under the step's key,
   * answers with that event), or refused (nothing stored).
   */
  | { kind: 'answer'; step: string; outcome: 'accepted'; events: { type: string; data: unknown }[] }
  | { kind: 'answer'; step: string; outcome: 'refused'; code: string; detail: string }
  /** A timer the instance scheduled is due. */
  | { kind: 'timer'; timer: string }
  /** A published contract event of another context that names this instance. */
  | { kind: 'event'; event: FeedEntry };

/** A command the instance sends through the ordinary command pipeline. */
export interface ProcessCommand {
  /**
   * The step it belongs to, unique within the instance: with the instance it makes the
   * command's idempotency key, so a step sent again is never applied twice.
   */
  step: string;
  context: string;
  aggregate: string;
  command: string;
  input: unknown;
}

/** What one decision changes: the next state, and what to send, schedule and cancel. */
export interface ProcessDecision<TState> {
  state: TState;
  send?: ProcessCommand[];
  /** Timers to start (a timer of the same name is replaced). */
  schedule?: { timer: string; afterMs: number }[];
  cancel?: string[];
  /** The instance has finished: later inputs are recorded and ignored. */
  done?: boolean;
  /**
   * Events the instance publishes (its lifecycle, for other contexts and consumers):
   * stored in its stream with the decision, in one append, so each is stored once with
   * the input that led to it. Declare them in the context's `events` and publish them
   * in its contracts like any other event.
   */
  emit?: NewEvent[];
}

export interface ProcessDecideContext {
  /** The instant of the decision (the process's clock; tests skip it forward). */
  now: Date;
  /** This instance's id. */
  instance: string;
}

export interface ProcessDefinition<TState, TStart> {
  /** Lower-case letters and digits; the instance streams are `{name}-{instance}`. */
  name: string;
  /** The context whose store holds the instances and whose routes start them. */
  context: string;
  start: {
    schema: z.ZodType<TStart>;
    /** The instance's id, from the start input (a second start with the same id is a duplicate). */
    instance: (input: TStart) => string;
  };
  initialState: () => TState;
  /**
   * Pure: state + input → decision. Throwing is a bug, not a refusal: the input is
   * parked for an admin like a projection's dead letter.
   */
  decide: (state: TState, input: ProcessInput<TStart>, context: ProcessDecideContext) => ProcessDecision<TState>;
  /** Timer names it schedules (a decision scheduling another is a bug caught in tests). */
  timers?: string[];
  /**
   * Published events of other contexts it takes as inputs (`{ kind: 'event' }`), read
   * through its context's consumed contracts: `instance` names the instance an event
   * concerns (undefined: none). Each event is recorded once (keyed by its id), by an
   * instance that has started and not finished; others ignore it.
   */
  listens?: { source: string; events: string[]; instance: (event: FeedEntry) => string | undefined }[];
}

const namePattern = /^[a-z][a-z0-9]{1,30}$/;

export function defineProcess<TState, TStart>(definition: ProcessDefinition<TState, TStart>): ProcessDefinition<TState, TStart> {
  if (!namePattern.test(definition.name)) {
    throw new Error(`process name "${definition.name}" must be 2-31 lower-case letters or digits, starting with a letter`);
  }
  return definition;
}

/** The idempotency key a step's command is sent with: the same for every retry of the step. */
export function stepKey(process: string, instance: string, step: string): string {
  return `${process}:${instance}:${step}`;
}
