import type { Logger } from 'pino';
import { channels, type Bus } from '../bus/bus.ts';
import type { EventColumns } from '../store/codec.ts';
import { isCommitRow, type EventStore } from '../store/event-store.ts';
import { markerRetireMs } from '../store/pending-markers.ts';
import type { BlobLease } from '../worker/blob-lease.ts';
import type { LeasedWork } from '../worker/leased-loop.ts';
import { mapLimit } from '../worker/map-limit.ts';
import type { Feed, FeedColumns } from './feed.ts';

/** Sent by writers right after a commit. Rows ride along when small; else the relay reads them. */
export interface CommittedHint {
  stream: string;
  version: number;
  rows?: EventColumns[];
  /** Set for a keyed commit: the rows share this position. */
  commit?: number;
}

/** The commits of one writer tick, published together. */
export interface CommittedHints {
  batch: CommittedHint[];
}

/** What the relay moves as one piece: a stream position and the events at it. */
interface Unit {
  /** Row key number: the version of a plain event, the commit of a keyed one. */
  position: number;
  rows: EventColumns[];
}

/** The position a relayed event came from (its commit, or its own version). */
const positionOf = (row: EventColumns): number => Number(row.p ?? row.v);

/** Sent by the relay after each feed append. */
export interface FeedNotice {
  context: string;
  head: number;
  entries: { id: string; seq: number; stream: string; type: string }[];
}

/** The relay's durable state, kept in its lease blob. */
interface RelayState {
  /** Every feed entry up to here is reflected in `cursors`. */
  checkpointSeq: number;
  /** Highest relayed version of each active stream. */
  cursors: Record<string, number>;
}

export interface RelayOptions {
  /** How often all pending markers are checked, catching commits whose hint was lost. */
  sweepMs?: number;
  /** How often the cursor state is saved (bounds the feed replay on takeover). */
  checkpointMs?: number;
}

/**
 * Moves committed events into the context's feed, assigning gapless seqs. Only the
 * lease holder runs. Its steps are idempotent: the feed is insert-only and the next
 * seq and stream cursors are recovered from the lease blob plus the feed tail, so a
 * crash anywhere neither loses nor duplicates an entry.
 */
export class Relay implements LeasedWork {
  private readonly store: EventStore;
  private readonly feed: Feed;
  private readonly lease: BlobLease;
  private readonly bus: Bus;
  private readonly log: Logger;
  private readonly sweepMs: number;
  private readonly checkpointMs: number;
  private cursors = new Map<string, number>();
  private hints = new Map<string, Unit[] | null>();
  private nextSeq = 1;
  private savedSeq = 0;
  private lastSweep = 0;
  private lastCheckpoint = 0;
  private started = false;
  /** Milliseconds from commit to feed for the last entry relayed. */
  lastLagMs = 0;

  constructor(parts: { store: EventStore; feed: Feed; lease: BlobLease; bus: Bus; log: Logger }, options: RelayOptions = {}) {
    this.store = parts.store;
    this.feed = parts.feed;
    this.lease = parts.lease;
    this.bus = parts.bus;
    this.log = parts.log;
    this.sweepMs = options.sweepMs ?? 5000;
    this.checkpointMs = options.checkpointMs ?? 1000;
  }

  get head(): number {
    return this.nextSeq - 1;
  }

  /** A writer committed: remember the stream (and its rows, if they came along). */
  hint(message: CommittedHint): void {
    const units = message.rows ? toUnits(message.rows) : null;
    const known = this.hints.get(message.stream);
    if (known === undefined) this.hints.set(message.stream, units);
    else if (known !== null && units) known.push(...units);
    else this.hints.set(message.stream, null);
  }

  async start(): Promise<void> {
    const state = (await this.lease.read<RelayState>()) ?? { checkpointSeq: 0, cursors: {} };
    this.cursors = new Map(Object.entries(state.cursors));
    let after = state.checkpointSeq;
    for (;;) {
      const rows = await this.feed.rowsAfter(after, 1000);
      if (rows.length === 0) break;
      for (const row of rows) {
        this.cursors.set(row.s, Math.max(this.cursors.get(row.s) ?? 0, positionOf(row)));
        after = Number(row.seq);
      }
    }
    this.nextSeq = after + 1;
    this.savedSeq = state.checkpointSeq;
    this.lastSweep = 0;
    this.started = true;
    this.log.info({ context: this.feed.context, head: this.head, streams: this.cursors.size }, 'relay recovered');
  }

  stop(): void {
    this.started = false;
  }

  async step(): Promise<boolean> {
    if (!this.started) return false;
    const sweep = performance.now() - this.lastSweep >= this.sweepMs;
    const hinted = this.hints;
    this.hints = new Map();
    const markers = sweep ? await this.store.markers.list() : [];
    const streams = new Set<string>([...hinted.keys(), ...markers.map((m) => m.stream)]);

    const pending = await mapLimit([...streams], 16, async (stream) => {
      const hint = hinted.get(stream);
      // A hint that starts at version 1 is a new stream: nothing was relayed before.
      const cursor = this.cursors.get(stream) ?? (hint?.some((u) => u.position === 1) ? 0 : await this.store.relayedVersion(stream));
      this.cursors.set(stream, cursor);
      const units = contiguous(hint, cursor) ?? (await this.read(stream, cursor));
      return { stream, units, rows: units.flatMap((u) => u.rows) };
    });

    const groups = pending.filter((p) => p.rows.length > 0).sort((a, b) => (a.rows[0]!.at < b.rows[0]!.at ? -1 : 1));
    if (groups.length > 0) await this.place(groups);

    if (sweep) {
      const idle = new Set(pending.filter((p) => p.rows.length === 0).map((p) => p.stream));
      await this.retireIdle(markers.filter((m) => idle.has(m.stream)));
      this.lastSweep = performance.now();
    }
    await this.checkpoint(false);
    return this.hints.size > 0;
  }

  private async place(groups: { stream: string; units: Unit[]; rows: EventColumns[] }[]): Promise<void> {
    const relayedAt = new Date().toISOString();
    const rows: FeedColumns[] = [];
    let seq = this.nextSeq;
    for (const group of groups) {
      for (const row of group.rows) rows.push({ ...stripSystem(row), seq: seq++, rat: relayedAt });
    }
    if (!this.lease.held) throw new Error('relay lease expired before placing entries');
    await this.feed.append(rows);
    this.nextSeq = seq;
    for (const group of groups) this.cursors.set(group.stream, group.units[group.units.length - 1]!.position);
    const last = rows[rows.length - 1]!;
    this.lastLagMs = Date.parse(relayedAt) - Date.parse(last.at);
    const notice: FeedNotice = {
      context: this.feed.context,
      head: this.head,
      entries: rows.map((r) => ({ id: r.id, seq: r.seq, stream: r.s, type: r.type })),
    };
    await this.bus.publish(channels.feed(this.feed.context), notice);
  }

  /** Units after the cursor from the store, expanding keyed commits into their events. */
  private async read(stream: string, cursor: number): Promise<Unit[]> {
    const units: Unit[] = [];
    for await (const row of this.store.rowsAfter(stream, cursor)) {
      const position = Number((row as { rowKey?: string }).rowKey ?? (row as EventColumns).v);
      units.push({ position, rows: isCommitRow(row) ? await this.store.expandCommit(stream, row) : [row] });
    }
    return units;
  }

  /** Streams nobody wrote to for a long while leave the active set; their cursor moves into the stream. */
  private async retireIdle(markers: { stream: string; touchedAt: Date; etag: string }[]): Promise<void> {
    const cutoff = Date.now() - markerRetireMs;
    for (const marker of markers) {
      if (marker.touchedAt.getTime() > cutoff) continue;
      const cursor = this.cursors.get(marker.stream) ?? 0;
      await this.store.setRelayedVersion(marker.stream, cursor);
      if (await this.store.markers.retire(marker)) this.cursors.delete(marker.stream);
    }
  }

  /** Saves cursors so a successor replays only the feed tail. */
  async checkpoint(force: boolean): Promise<void> {
    if (this.savedSeq === this.head && !force) return;
    if (!force && performance.now() - this.lastCheckpoint < this.checkpointMs) return;
    const state: RelayState = { checkpointSeq: this.head, cursors: Object.fromEntries(this.cursors) };
    await this.lease.write(state);
    this.savedSeq = state.checkpointSeq;
    this.lastCheckpoint = performance.now();
  }
}

function contiguous(units: Unit[] | null | undefined, cursor: number): Unit[] | undefined {
  if (!units || units.length === 0) return undefined;
  const sorted = [...units].sort((a, b) => a.position - b.position).filter((u) => u.position > cursor);
  if (sorted.length === 0) return undefined;
  for (let i = 0; i < sorted.length; i++) if (sorted[i]!.position !== cursor + 1 + i) return undefined;
  return sorted;
}

function toUnits(rows: EventColumns[]): Unit[] {
  const units = new Map<number, EventColumns[]>();
  for (const row of rows) {
    const position = positionOf(row);
    units.set(position, [...(units.get(position) ?? []), row]);
  }
  return [...units].map(([position, unitRows]) => ({ position, rows: unitRows }));
}

/** Table rows come back with SDK fields; keep only the event's columns. */
function stripSystem(row: EventColumns): EventColumns {
  const { id, type, sv, s, v, at, who, cor, cau, data, claim, p } = row;
  return {
    id, type, sv: Number(sv), s, v: Number(v), at, who, cor, cau,
    ...(data !== undefined ? { data } : {}),
    ...(claim !== undefined ? { claim } : {}),
    ...(p !== undefined ? { p: Number(p) } : {}),
  };
}
