import type { Logger } from 'pino';
import { channels, compareLogIds, type Bus } from '../bus/bus.ts';
import type { EventColumns } from '../store/codec.ts';
import { isCommitRow, type EventStore } from '../store/event-store.ts';
import type { PendingMarker } from '../store/pending-markers.ts';
import { linkedSpan, SpanKind } from '../tracing/telemetry.ts';
import type { BlobLease } from '../worker/blob-lease.ts';
import type { LeasedWork } from '../worker/leased-loop.ts';
import { mapLimit } from '../worker/map-limit.ts';
import type { Feed, FeedColumns } from './feed.ts';
import { partitionOf, wholeFeed, type FeedPartition } from './partitions.ts';

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

/** A stream's units for one placement. */
interface Group {
  stream: string;
  units: Unit[];
  rows: EventColumns[];
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
  /** Set by a partition's relay: `head` and the seqs are that partition's. */
  partition?: number;
  head: number;
  entries: { id: string; seq: number; stream: string; type: string }[];
}

/** The relay's durable state, kept in its lease blob. */
interface RelayState {
  /** Every feed entry up to here is reflected in `cursors`. */
  checkpointSeq: number;
  /** Highest relayed position of each active stream. */
  cursors: Record<string, number>;
  /** How far the commit log was read, and which incarnation of it. */
  log?: { id: string; epoch: string };
}

export interface RelayOptions {
  /** How often the pending markers are listed. */
  sweepMs?: number;
  /** How often the cursor state is saved (bounds the feed replay on takeover). */
  checkpointMs?: number;
  /** Told of each feed append before the bus is (local projections and waiters). */
  onPlaced?: (notice: FeedNotice) => void;
  /** Told of each transaction of an append as it lands (a merger may take it before the rest). */
  onFlushed?: () => void;
  /** The partition of the context's feed this relay writes (default: the whole feed). */
  partition?: FeedPartition;
  /**
   * The feed grew (see layout.ts): an empty partition proves nothing, its streams were
   * placed in another partition before. Never take a stream without a cursor as new.
   */
  pristineNever?: boolean;
}

/** Log entries read per step. */
const logBatch = 5000;
/** Events read from one stream per step. */
const readLimit = 2000;
/** Marked streams read per step to check for lost hints. */
const checksPerStep = 256;
/** ... and while hints are waiting. */
const checksWithHints = 16;

/**
 * Moves committed events into the context's feed, assigning gapless seqs. Only the
 * lease holder runs. Its steps are idempotent: the feed is insert-only and the next
 * seq and stream cursors are recovered from the lease blob plus the feed tail, so a
 * crash anywhere neither loses nor duplicates an entry.
 *
 * Writers leave two traces of a commit: a pending marker (durable, written before the
 * commit) and a hint in the commit log (after it, usually carrying the rows). The relay
 * moves events from the hints without reading the streams. The markers are the safety
 * net: once a stream has been quiet past the writers' marker window, one read checks
 * that no hint was lost and retires the marker. When the log itself was lost (Redis
 * restarted) or cannot be read, every marked stream is read instead.
 */
export class Relay implements LeasedWork {
  private readonly store: EventStore;
  private readonly feed: Feed;
  private readonly lease: BlobLease;
  private readonly bus: Bus;
  private readonly log: Logger;
  private readonly sweepMs: number;
  private readonly checkpointMs: number;
  /** The feed partition this relay writes: its streams' hints, markers and seqs only. */
  readonly partition: FeedPartition;
  private readonly pristineNever: boolean;
  private cursors = new Map<string, number>();
  private hints = new Map<string, Unit[] | null>();
  /** Marked streams waiting for a read that checks no hint was lost. */
  private checks = new Map<string, PendingMarker>();
  /** The ETag of each marker at the last sweep, and since when this relay has seen it. */
  private seen = new Map<string, { etag: string; since: number }>();
  private readonly retireMs: number;
  /** Streams with a cursor here and no marker at the last sweep. */
  private unmarked: string[] = [];
  /** Streams whose cursor came from the stream (~relayed) this step and placed nothing yet. */
  private borrowed = new Set<string>();
  /** Streams read only part-way: more to place before their marker may go. */
  private backlogs = new Set<string>();
  private logCursor: string | undefined;
  private logEpoch: string | undefined;
  /**
   * Nothing was ever placed in this feed (it was empty at start) and this relay has
   * retired nothing since: no stream holds a cursor (~relayed), so a stream without one
   * here was never relayed, and any hint, however old, is news. A stale relay placing
   * anything would take the seqs this one writes next: its first placement fails and
   * the relay starts again, no longer pristine.
   */
  private pristine = false;
  /** Read every marked stream on the next sweep (the log cannot be trusted). */
  private verifyAll = true;
  /** Counts the times the log was found lost. */
  private losses = 0;
  /** Told of each feed append before the bus is (local projections and waiters). */
  private readonly onPlaced: ((notice: FeedNotice) => void) | undefined;
  private readonly onFlushed: (() => void) | undefined;
  private nextSeq = 1;
  private savedSeq = 0;
  private savedLog: string | undefined;
  private lastSweep = -Infinity;
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
    this.retireMs = parts.store.markers.retireMs;
    this.checkpointMs = options.checkpointMs ?? 1000;
    this.onPlaced = options.onPlaced;
    this.onFlushed = options.onFlushed;
    this.partition = options.partition ?? wholeFeed;
    this.pristineNever = options.pristineNever ?? false;
    if (parts.feed.partition !== this.partition.index) throw new Error(`relay of partition ${this.partition.index} given feed partition ${parts.feed.partition}`);
  }

  get head(): number {
    return this.nextSeq - 1;
  }

  /** What the relay holds in memory: it must follow the active streams, never the history. */
  get footprint(): { cursors: number; hints: number; checks: number; markersSeen: number } {
    return { cursors: this.cursors.size, hints: this.hints.size, checks: this.checks.size, markersSeen: this.seen.size };
  }

  private get logName(): string {
    return channels.commitLog(this.feed.context, this.partition.index);
  }

  /** A writer committed: remember the stream (and its rows, if they came along). */
  hint(message: CommittedHint): void {
    // Another partition's stream (a writer that routed by another layout): not ours to place.
    if (this.partition.of > 1 && partitionOf(message.stream, this.partition.of) !== this.partition.index) return;
    const units = message.rows ? toUnits(message.rows) : null;
    const known = this.hints.get(message.stream);
    if (known === undefined) this.hints.set(message.stream, units);
    else if (known !== null && units) known.push(...units);
    else this.hints.set(message.stream, null);
  }

  async start(): Promise<void> {
    const state = (await this.lease.read<RelayState>()) ?? { checkpointSeq: 0, cursors: {} };
    this.cursors = new Map(Object.entries(state.cursors));
    // The last entry of each stream in the feed tail: a keyed commit may end part-way.
    const last = new Map<string, EventColumns>();
    let after = state.checkpointSeq;
    for (;;) {
      const rows = await this.feed.rowsAfter(after, 1000);
      if (rows.length === 0) break;
      for (const row of rows) {
        this.cursors.set(row.s, Math.max(this.cursors.get(row.s) ?? 0, positionOf(row)));
        last.set(row.s, row);
        after = Number(row.seq);
      }
    }
    this.nextSeq = after + 1;
    this.pristine = after === 0 && !this.pristineNever;
    this.savedSeq = state.checkpointSeq;
    this.hints = new Map();
    this.checks = new Map();
    this.backlogs = new Set();
    this.borrowed = new Set();
    this.unmarked = [];
    this.seen = new Map();
    this.started = true;
    await this.completeCommits(last);
    // A stream without a marker was retired, its cursor kept in the stream (~relayed):
    // the saved state may still name it (saved before the retirement), but holding it
    // would make the relay's memory grow with history, one restart at a time.
    if (this.cursors.size > 0) {
      const marked = new Set((await this.store.markers.list(this.partition)).map((marker) => marker.stream));
      for (const stream of this.cursors.keys()) if (!marked.has(stream)) this.cursors.delete(stream);
    }
    await this.findLog(state.log);
    this.savedLog = this.logCursor;
    this.lastSweep = -Infinity;
    this.log.info({ context: this.feed.context, partition: this.partition.index, head: this.head, streams: this.cursors.size, resumesLog: this.logCursor !== undefined }, 'relay recovered');
  }

  /**
   * A keyed commit's events share one position, and the feed may cut them over two
   * transactions (100 rows, a bucket, the size limit). When the relay died between the
   * two, the tail ends inside the commit: its cursor already names the commit, so the
   * rest is placed now, before anything else, or it would never be.
   */
  private async completeCommits(last: Map<string, EventColumns>): Promise<void> {
    const groups: Group[] = [];
    await mapLimit([...last.values()].filter((row) => row.p !== undefined), 16, async (row) => {
      const rest = await this.store.commitRest(row.s, Number(row.p), Number(row.v));
      if (rest.length > 0) groups.push(this.group(row.s, [{ position: Number(row.p), rows: rest }]));
    });
    if (groups.length === 0) return;
    this.log.warn({ context: this.feed.context, streams: groups.map((g) => g.stream) }, 'placing the rest of keyed commits cut short by a crash');
    await this.place(groups);
  }

  /**
   * Resumes the commit log where it was left if it is the same log and nothing was
   * trimmed since. Otherwise its position is unknown: the relay starts at the log's end
   * and reads every marked stream instead, never an old log from its start (hints of
   * streams retired long ago would only cost reads). Whatever the log says, every
   * marked stream is checked once: the writers of the last moments may have died
   * between their commit and their hint.
   */
  private async findLog(saved: RelayState['log']): Promise<void> {
    this.logCursor = undefined;
    this.logEpoch = undefined;
    this.verifyAll = true;
    // A feed that never had an entry: the whole log is news, read it from its start.
    if (this.pristine) return;
    try {
      const probe = await this.bus.readLog(this.logName, saved?.id, 1, true);
      this.logEpoch = probe.epoch;
      if (saved && probe.epoch === saved.epoch && (!probe.first || compareLogIds(probe.first, saved.id) <= 0)) {
        this.logCursor = saved.id;
      } else {
        this.logCursor = (await this.bus.logEnd(this.logName)).id;
      }
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'commit log unreadable; reading marked streams instead');
    }
  }

  async drain(): Promise<void> {
    if (this.started) await this.checkpoint(true);
  }

  /**
   * The feed grows: every stream this relay holds a cursor for may move to another
   * partition, whose relay must continue it where this one left it. The cursors go into
   * the streams (as when a marker is retired), the state is saved, and the relay stops.
   */
  async handOver(): Promise<void> {
    if (!this.started) throw new Error('a relay hands over only after start()');
    await mapLimit([...this.cursors], 16, ([stream, cursor]) => this.store.setRelayedVersion(stream, cursor));
    await this.checkpoint(true);
    this.started = false;
  }

  stop(): void {
    this.started = false;
  }

  /**
   * One round: hints from the log are placed first; the marker sweep (when due) and
   * the reads of marked streams being checked run alongside and are placed after, so
   * the safety net never delays the events that announced themselves.
   */
  async step(): Promise<boolean> {
    if (!this.started) return false;
    const { more, logCursor, degraded } = await this.readHints();
    const sweeping = performance.now() - this.lastSweep >= this.sweepMs ? this.sweep(degraded) : undefined;
    sweeping?.catch(() => undefined);
    const hinted = this.hints;
    this.hints = new Map();

    // Marked streams to check, a bounded number per step (fewer while hints flow). A
    // stream being checked is read from the store, even if it was hinted too.
    const checks = [...this.checks.values()].slice(0, hinted.size > 0 ? checksWithHints : checksPerStep);
    for (const marker of checks) this.checks.delete(marker.stream);
    const checked = new Set(checks.map((m) => m.stream));
    // A check counts for retiring a marker only if the stream was read after its window.
    const checkedAt = performance.now();
    const reads = mapLimit(checks, 16, async ({ stream }) => this.group(stream, await this.read(stream, await this.cursorOf(stream))));
    reads.catch(() => undefined);

    const fromHints = await mapLimit(
      [...hinted].filter(([stream]) => !checked.has(stream)),
      32,
      async ([stream, units]) => {
        const cursor = await this.cursorOf(stream);
        return this.group(stream, contiguous(units, cursor) ?? (await this.read(stream, cursor)));
      },
    );
    await this.place(fromHints);
    await this.place(await reads);
    if (logCursor !== undefined) this.logCursor = logCursor;
    await sweeping;

    await this.retireQuiet(checks, checkedAt);
    await this.forgetUnmarked();
    this.returnBorrowed();
    await this.checkpoint(false);
    return more || this.hints.size > 0 || this.checks.size > 0;
  }

  /** Lists the pending markers and queues the streams to check. */
  private async sweep(degraded: boolean): Promise<void> {
    this.lastSweep = performance.now();
    const losses = this.losses;
    const readAll = this.verifyAll || degraded;
    const held = [...this.cursors.keys()];
    const markers = await this.store.markers.list(this.partition);
    const listed = new Set(markers.map((marker) => marker.stream));
    // Cursors of streams whose marker is gone (another relay, one that lost its lease,
    // retired it): the stream holds its own cursor now.
    this.unmarked = held.filter((stream) => !listed.has(stream) && !this.backlogs.has(stream));
    const now = performance.now();
    const seen = new Map<string, { etag: string; since: number }>();
    for (const marker of markers) {
      const before = this.seen.get(marker.stream);
      const since = before?.etag === marker.etag ? before.since : now;
      seen.set(marker.stream, { etag: marker.etag, since });
      if (readAll || now - since >= this.retireMs) this.checks.set(marker.stream, marker);
    }
    this.seen = seen;
    // Unless the log failed us again while the list was read.
    if (!degraded && losses === this.losses) this.verifyAll = false;
  }

  /**
   * Lets go of the cursors of streams found without a marker, once the stream's own
   * cursor is at least as far (it only moves forward): a retired stream never stays in
   * memory, whoever retired it.
   */
  private async forgetUnmarked(): Promise<void> {
    const streams = this.unmarked;
    this.unmarked = [];
    if (streams.length > 0) this.pristine = false;
    await mapLimit(streams, 16, async (stream) => {
      const cursor = this.cursors.get(stream);
      if (cursor === undefined) return;
      await this.store.setRelayedVersion(stream, cursor);
      if (this.cursors.get(stream) === cursor) this.cursors.delete(stream);
    });
  }

  /** The marker had carried the same ETag for the whole retire window at `at`, as this relay saw it. */
  private quiet(marker: PendingMarker, at: number): boolean {
    const seen = this.seen.get(marker.stream);
    return seen !== undefined && seen.etag === marker.etag && at - seen.since >= this.retireMs;
  }

  /**
   * The stream's relayed position: in memory while it is active, else the cursor the
   * relay left in the stream when it retired it (0 for a stream never relayed). A hint
   * that starts at version 1 proves nothing: it may be old, read again from a log.
   */
  private async cursorOf(stream: string): Promise<number> {
    let cursor = this.cursors.get(stream);
    if (cursor === undefined && this.pristine) return 0;
    if (cursor === undefined) {
      cursor = await this.store.relayedVersion(stream);
      this.cursors.set(stream, cursor);
      this.borrowed.add(stream);
    }
    return cursor;
  }

  /**
   * Cursors read from retired streams that placed nothing this step go again: they
   * equal what the stream holds, and a late hint of a retired stream must not leave a
   * cursor behind that no marker will ever retire.
   */
  private returnBorrowed(): void {
    for (const stream of this.borrowed) this.cursors.delete(stream);
    this.borrowed.clear();
  }

  private group(stream: string, units: Unit[]): Group {
    return { stream, units, rows: units.flatMap((u) => u.rows) };
  }

  /** Takes the next hints from the commit log. */
  private async readHints(): Promise<{ more: boolean; logCursor: string | undefined; degraded: boolean }> {
    try {
      const read = await this.bus.readLog(this.logName, this.logCursor, logBatch);
      // 'none' is a log nobody has written to yet: its first epoch is no loss.
      if (this.logEpoch !== undefined && this.logEpoch !== 'none' && read.epoch !== this.logEpoch) {
        this.log.warn({ context: this.feed.context }, 'commit log was lost (Redis restarted?); reading marked streams');
        this.verifyAll = true;
        this.losses++;
        this.lastSweep = -Infinity;
        // What was read came from another log at a position of the old one: drop it and
        // go on from the new log's end; the marked streams cover everything before.
        const end = await this.bus.logEnd(this.logName);
        this.logEpoch = end.epoch;
        return { more: true, logCursor: end.id ?? '0-0', degraded: false };
      }
      if (this.logEpoch === undefined && !this.pristine) {
        // The log was unreadable at start, so where to resume in it is unknown: from its
        // end, as findLog would have (the marked streams cover everything before).
        const end = await this.bus.logEnd(this.logName);
        this.logEpoch = end.epoch;
        this.log.info({ context: this.feed.context }, 'commit log readable again; going on from its end');
        return { more: true, logCursor: end.id ?? '0-0', degraded: false };
      }
      this.logEpoch = read.epoch;
      for (const entry of read.entries) for (const hint of (entry.message as CommittedHints).batch ?? []) this.hint(hint);
      const last = read.entries[read.entries.length - 1];
      return { more: read.entries.length === logBatch, logCursor: last?.id, degraded: false };
    } catch (error) {
      this.log.debug({ err: (error as Error).message }, 'commit log unreadable');
      this.lastSweep = Math.min(this.lastSweep, performance.now() - this.sweepMs);
      return { more: false, logCursor: undefined, degraded: true };
    }
  }

  /** Appends the groups' events to the feed in one run of seqs, oldest commit first. */
  private async place(all: Group[]): Promise<void> {
    const groups = all.filter((g) => g.rows.length > 0).sort((a, b) => (a.rows[0]!.at < b.rows[0]!.at ? -1 : a.rows[0]!.at > b.rows[0]!.at ? 1 : 0));
    if (groups.length === 0) return;
    const relayedAt = new Date().toISOString();
    const rows: FeedColumns[] = [];
    let seq = this.nextSeq;
    for (const group of groups) {
      for (const row of group.rows) rows.push({ ...stripSystem(row), seq: seq++, rat: relayedAt });
    }
    if (!this.lease.held) throw new Error('relay lease expired before placing entries');
    const attributes = { 'messaging.system': 'eventloom', 'messaging.operation.name': 'place', 'messaging.destination.name': this.feed.context, 'messaging.batch.message_count': rows.length };
    await linkedSpan('place', SpanKind.PRODUCER, rows.map((r) => r.tp), attributes, () => this.feed.append(rows, this.onFlushed));
    this.nextSeq = seq;
    for (const group of groups) {
      this.cursors.set(group.stream, group.units[group.units.length - 1]!.position);
      this.borrowed.delete(group.stream);
    }
    const last = rows[rows.length - 1]!;
    this.lastLagMs = Date.parse(relayedAt) - Date.parse(last.at);
    const partitioned = this.partition.of > 1;
    const notice: FeedNotice = {
      context: this.feed.context,
      ...(partitioned ? { partition: this.partition.index } : {}),
      head: this.head,
      entries: rows.map((r) => ({ id: r.id, seq: r.seq, stream: r.s, type: r.type })),
    };
    this.onPlaced?.(notice);
    // Never awaited: a hung Redis must not hold the relay (the bus only signals).
    // A partition's seqs are not the feed's: the merger tells consumers (see merger.ts).
    void this.bus.publish(partitioned ? channels.placed(this.feed.context) : channels.feed(this.feed.context), notice);
  }

  /** Units after the cursor from the store, expanding keyed commits into their events. */
  private async read(stream: string, cursor: number): Promise<Unit[]> {
    const units: Unit[] = [];
    let rows = 0;
    for await (const row of this.store.rowsAfter(stream, cursor)) {
      if (rows >= readLimit) {
        // A long backlog is placed a piece per step, never pulled into memory whole (and
        // its marker stays until the whole backlog is placed).
        this.hints.set(stream, null);
        this.backlogs.add(stream);
        return units;
      }
      const position = Number((row as { rowKey?: string }).rowKey ?? (row as EventColumns).v);
      const unit = { position, rows: isCommitRow(row) ? await this.store.expandCommit(stream, row) : [row] };
      units.push(unit);
      rows += unit.rows.length;
    }
    this.backlogs.delete(stream);
    return units;
  }

  /**
   * A checked stream whose marker has been quiet past the writers' window cannot gain
   * events without a new touch: its marker is retired and its cursor moves into the
   * stream. (A stream checked early, after a takeover, is checked again once quiet.)
   */
  private async retireQuiet(checks: PendingMarker[], checkedAt: number): Promise<void> {
    const quiet = checks.filter((m) => this.quiet(m, checkedAt) && !this.backlogs.has(m.stream));
    // From the first cursor left in a stream, a stream without one here may have been relayed.
    if (quiet.length > 0) this.pristine = false;
    await mapLimit(
      quiet,
      16,
      async (marker) => {
        await this.store.setRelayedVersion(marker.stream, this.cursors.get(marker.stream) ?? 0);
        // The stream now holds a cursor at least as far as ours: ours may go.
        if ((await this.store.markers.retire(marker)) !== 'touched') this.cursors.delete(marker.stream);
      },
    );
  }

  /** Saves cursors so a successor replays only the feed tail. */
  async checkpoint(force: boolean): Promise<void> {
    if (this.savedSeq === this.head && this.savedLog === this.logCursor && !force) return;
    if (!force && performance.now() - this.lastCheckpoint < this.checkpointMs) return;
    const state: RelayState = {
      checkpointSeq: this.head,
      cursors: Object.fromEntries(this.cursors),
      ...(this.logCursor !== undefined && this.logEpoch !== undefined ? { log: { id: this.logCursor, epoch: this.logEpoch } } : {}),
    };
    await this.lease.write(state);
    this.savedSeq = state.checkpointSeq;
    this.savedLog = this.logCursor;
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
  const { id, type, sv, s, v, at, who, cor, cau, tp, data, claim, p } = row;
  return {
    id, type, sv: Number(sv), s, v: Number(v), at, who, cor, cau,
    ...(tp !== undefined ? { tp } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(claim !== undefined ? { claim } : {}),
    ...(p !== undefined ? { p: Number(p) } : {}),
  };
}
