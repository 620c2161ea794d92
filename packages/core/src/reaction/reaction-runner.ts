import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.ts';
import type { ContextRuntime } from '../context/context-runtime.ts';
import type { FeedEntry } from '../events/envelope.ts';
import { ProblemError } from '../http/problem.ts';
import type { FeedReader } from '../relay/feed.ts';
import type { BlobLease } from '../worker/blob-lease.ts';
import type { LeasedWork } from '../worker/leased-loop.ts';
import { reactionKey, type ReactionCommand, type ReactionDefinition } from './define-reaction.ts';

export interface ReactionParts {
  definition: ReactionDefinition;
  /** The context the reaction belongs to (its commands go there unless they name another). */
  context: string;
  /** The source context's feed, read in its published order. */
  feed: FeedReader;
  upcast: (entry: FeedEntry) => FeedEntry;
  target: (context: string) => ContextRuntime;
  lease: BlobLease;
  log: Logger;
}

interface ReactionCheckpoint {
  seq: number;
}

const batchSize = 200;

/**
 * Runs one reaction under its lease: reads the source's feed from its checkpoint and
 * sends each event's commands with keys derived from the event. The position is saved
 * after every event that led to commands (and at the end of each batch), so a successor
 * repeats at most the event in hand, whose commands then answer as duplicates. A
 * refusal is the target's answer (logged, not retried); storage trouble fails the step
 * and it is tried again from the saved position.
 */
export class ReactionRunner implements LeasedWork {
  readonly parts: ReactionParts;
  checkpoint = 0;
  reacted = 0;
  private readonly handles: Set<string>;
  private readonly principal: Principal;

  constructor(parts: ReactionParts) {
    this.parts = parts;
    this.handles = new Set(parts.definition.events);
    this.principal = { sub: `reaction:${parts.definition.name}`, role: 'admin', name: `reaction ${parts.definition.name}` };
  }

  get name(): string {
    return this.parts.definition.name;
  }

  async start(): Promise<void> {
    this.checkpoint = (await this.parts.lease.read<ReactionCheckpoint>())?.seq ?? 0;
  }

  stop(): void {}

  async step(): Promise<boolean> {
    const entries = await this.parts.feed.read(this.checkpoint, batchSize);
    if (entries.length === 0) return false;
    const before = this.checkpoint;
    for (const stored of entries) {
      if (this.handles.has(stored.type)) {
        const commands = this.parts.definition.react(this.parts.upcast(stored));
        for (const [i, command] of commands.entries()) await this.send(stored, command, i);
        if (commands.length > 0) {
          this.checkpoint = stored.seq;
          await this.save();
          continue;
        }
      }
      this.checkpoint = stored.seq;
    }
    if (this.checkpoint !== before) await this.save();
    return entries.length === batchSize;
  }

  private async send(entry: FeedEntry, command: ReactionCommand, index: number): Promise<void> {
    const target = this.parts.target(command.context ?? this.parts.context);
    try {
      const accepted = await target.execute(command.aggregate, command.command, command.input, {
        principal: this.principal,
        idempotencyKey: reactionKey(this.name, entry.id, index),
        // The event's correlation flows on: the command's events carry it.
        correlationId: entry.correlationId,
      });
      this.reacted++;
      this.parts.log.info({ reaction: this.name, event: entry.id, command: `${command.aggregate}.${command.command}`, duplicate: accepted.duplicate }, 'reacted');
    } catch (error) {
      // Refused (invalid, not allowed, the target's rules): that is its answer to this event.
      if (error instanceof ProblemError && error.status < 500) {
        this.parts.log.info({ reaction: this.name, event: entry.id, command: `${command.aggregate}.${command.command}`, refused: error.problem.type, detail: error.message }, 'reaction refused');
        return;
      }
      throw error;
    }
  }

  private async save(): Promise<void> {
    if (!this.parts.lease.held) throw new Error(`reaction ${this.name}: lease expired before saving its position`);
    await this.parts.lease.write({ seq: this.checkpoint } satisfies ReactionCheckpoint);
  }
}
