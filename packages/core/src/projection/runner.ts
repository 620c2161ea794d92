import type { TableClient } from '@azure/data-tables';
import type { Logger } from 'pino';
import { channels, type Bus, type ViewChange } from '../bus/bus.ts';
import type { FeedEntry } from '../events/envelope.ts';
import type { Feed } from '../relay/feed.ts';
import { seqKey } from '../store/keys.ts';
import { statusOf } from '../store/storage.ts';
import type { BlobLease } from '../worker/blob-lease.ts';
import type { LeasedWork } from '../worker/leased-loop.ts';
import type { ProjectionDefinition } from './define-projection.ts';
import { ViewBuffer, type ViewStore } from './view-buffer.ts';

export interface ProjectionCheckpoint {
  seq: number;
}

export interface DeadLetter {
  projection: string;
  seq: number;
  eventId: string;
  type: string;
  stream: string;
  error: string;
  at: string;
}

export interface ProjectionParts {
  context: string;
  definition: ProjectionDefinition;
  feed: Feed;
  views: Map<string, ViewStore>;
  deadLetters: TableClient;
  lease: BlobLease;
  bus: Bus;
  log: Logger;
  /** Reads stored data as the current schema version. */
  upcast: (entry: FeedEntry) => FeedEntry;
}

const attempts = 3;

/**
 * Applies a context's feed to one projection's view tables, from its checkpoint
 * (catch-up, then live on wake-ups). View writes and the checkpoint are separate
 * requests; the per-row seq in ViewBuffer makes the replay after a crash exact.
 */
export class ProjectionRunner implements LeasedWork {
  private readonly parts: ProjectionParts;
  private readonly batchSize: number;
  private readonly handles: Set<string>;
  checkpoint = 0;
  deadLetterCount = 0;
  eventsApplied = 0;

  constructor(parts: ProjectionParts, batchSize = 500) {
    this.parts = parts;
    this.batchSize = batchSize;
    this.handles = new Set(parts.definition.handles);
  }

  get name(): string {
    return this.parts.definition.name;
  }

  async start(): Promise<void> {
    this.checkpoint = (await this.parts.lease.read<ProjectionCheckpoint>())?.seq ?? 0;
  }

  stop(): void {}

  async step(): Promise<boolean> {
    const entries = await this.parts.feed.read(this.checkpoint, this.batchSize);
    if (entries.length === 0) return false;
    const buffer = new ViewBuffer(this.parts.views);
    const parked: DeadLetter[] = [];
    const applied: FeedEntry[] = [];
    for (const stored of entries) {
      if (!this.handles.has(stored.type)) continue;
      buffer.seq = stored.seq;
      const failure = await this.applyOne(stored, buffer);
      if (failure) parked.push(failure);
      else applied.push(stored);
    }
    const last = entries[entries.length - 1]!.seq;
    if (!this.parts.lease.held) throw new Error(`projection ${this.name}: lease expired before writing its batch`);
    await buffer.flush();
    await Promise.all(parked.map((letter) => this.park(letter)));
    await this.parts.lease.write({ seq: last } satisfies ProjectionCheckpoint);
    this.checkpoint = last;
    this.eventsApplied += applied.length;
    this.deadLetterCount += parked.length;
    const change: ViewChange = {
      context: this.parts.context,
      projection: this.name,
      seq: last,
      streams: [...new Set(applied.map((e) => e.stream))],
      eventIds: applied.map((e) => e.id),
    };
    await this.parts.bus.publish(channels.viewChanged(this.parts.context), change);
    return entries.length === this.batchSize;
  }

  /** Applies one entry; returns a dead letter when the handler keeps throwing. */
  private async applyOne(stored: FeedEntry, buffer: ViewBuffer): Promise<DeadLetter | undefined> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.parts.definition.apply(this.parts.upcast(stored), buffer);
        buffer.commit();
        return undefined;
      } catch (error) {
        buffer.rollback();
        // Storage trouble is not the event's fault: fail the step and retry it later.
        if (statusOf(error) !== undefined) throw error;
        lastError = error as Error;
      }
    }
    this.parts.log.error({ projection: this.name, seq: stored.seq, type: stored.type, err: lastError?.message }, 'event parked as a dead letter');
    return {
      projection: this.name,
      seq: stored.seq,
      eventId: stored.id,
      type: stored.type,
      stream: stored.stream,
      error: lastError?.stack ?? String(lastError),
      at: new Date().toISOString(),
    };
  }

  private async park(letter: DeadLetter): Promise<void> {
    await this.parts.deadLetters.upsertEntity({ partitionKey: letter.projection, rowKey: seqKey(letter.seq), ...letter }, 'Replace');
  }
}
