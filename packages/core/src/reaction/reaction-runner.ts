import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.ts';
import type { ContextRuntime } from '../context/context-runtime.ts';
import type { FeedEntry } from '../events/envelope.ts';
import { ProblemError } from '../http/problem.ts';
import { reactionKey, type ReactionDefinition } from './define-reaction.ts';

/**
 * What a reaction does with an event it follows (see FeedFollower): sends the commands
 * its `react` gives, each with a key derived from the event, so an event met again
 * answers as duplicates. A refusal is the target's answer (logged, not retried).
 */
export function reactionActor(definition: ReactionDefinition, context: string, target: (context: string) => ContextRuntime, log: Logger): (entry: FeedEntry) => Promise<boolean> {
  const principal: Principal = { sub: `reaction:${definition.name}`, role: 'admin', name: `reaction ${definition.name}` };
  return async (entry) => {
    const commands = definition.react(entry);
    for (const [index, command] of commands.entries()) {
      const what = `${command.aggregate}.${command.command}`;
      try {
        const accepted = await target(command.context ?? context).execute(command.aggregate, command.command, command.input, {
          principal,
          idempotencyKey: reactionKey(definition.name, entry.id, index),
          // The event's correlation flows on: the command's events carry it.
          correlationId: entry.correlationId,
        });
        log.info({ reaction: definition.name, event: entry.id, command: what, duplicate: accepted.duplicate }, 'reacted');
      } catch (error) {
        if (!(error instanceof ProblemError && error.status < 500)) throw error;
        log.info({ reaction: definition.name, event: entry.id, command: what, refused: error.problem.type, detail: error.message }, 'reaction refused');
      }
    }
    return commands.length > 0;
  };
}
