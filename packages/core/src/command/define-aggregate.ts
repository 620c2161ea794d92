import type { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import type { EventEnvelope, NewEvent } from '../events/envelope.ts';

/** What a decider sees besides the command and the state. */
export interface DecideContext {
  principal: Principal;
  /** The instant the command is decided at (events record it as occurredAt). */
  now: Date;
}

export interface CommandDefinition<TState, TInput> {
  /** Validates the command's input (bad input becomes a 400 problem, nothing written). */
  schema: z.ZodType<TInput>;
  /** The stream the command acts on. */
  stream: (input: TInput) => string;
  /** Pure: command + state → events, or throw a ProblemError (a domain refusal). */
  decide: (input: TInput, state: TState, context: DecideContext) => NewEvent[];
}

// Command inputs differ per command; the map is checked where each command is defined.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandMap<TState> = Record<string, CommandDefinition<TState, any>>;

export interface AggregateDefinition<TState, TCommands extends CommandMap<TState>> {
  name: string;
  initialState: () => TState;
  /** Pure: state + event → state. Sees events already upcast to their current shape. */
  evolve: (state: TState, event: EventEnvelope) => TState;
  commands: TCommands;
  /** Write a snapshot after this many events since the last one (default 100). */
  snapshotEvery?: number;
}

export function defineAggregate<TState, const TCommands extends CommandMap<TState>>(
  definition: AggregateDefinition<TState, TCommands>,
): AggregateDefinition<TState, TCommands> {
  return definition;
}

/** Helps type one command's input from its schema. */
export function command<TState, TInput>(definition: CommandDefinition<TState, TInput>): CommandDefinition<TState, TInput> {
  return definition;
}
