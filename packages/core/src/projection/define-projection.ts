import type { FeedEntry } from '../events/envelope.ts';

/** A view row. PartitionKey/RowKey are the Azure Table keys. */
export interface ViewRow {
  partitionKey: string;
  rowKey: string;
  [column: string]: unknown;
}

/**
 * Writes to one view table during a batch. Writes are buffered and flushed with
 * the checkpoint; each row remembers the feed seq that last wrote it, so after a
 * crash a replayed event leaves a row it already changed alone.
 */
export interface ViewTable {
  get(partitionKey: string, rowKey: string): Promise<ViewRow | undefined>;
  /**
   * Computes a row from its current value and the event. Return `null` to delete it.
   * Must depend only on this row and the event (that is what makes replays exact).
   */
  update(partitionKey: string, rowKey: string, change: (row: ViewRow | undefined) => ViewRow | null): Promise<void>;
  /** Writes a row whose content depends only on the event (a log row). */
  put(row: ViewRow): void;
}

export interface ProjectionContext {
  view(table: string): ViewTable;
}

export interface ProjectionDefinition {
  name: string;
  /** Logical view table names this projection owns. */
  tables: string[];
  /** Event types it reacts to (others only move its checkpoint). */
  handles: string[];
  /** The feed it reads: its own context's (default) or another's, via a consumed contract. */
  source?: string;
  /**
   * Runs one runner per feed partition (each its own lease, so workers share the work)
   * instead of one over the merged order. Declare it only when every row is written by
   * events of streams of one partition — rows keyed by stream, for instance: a row
   * written from two partitions is refused (the event is parked with a message saying
   * so). Rows then see each stream's events in order, but no order across streams.
   * Its context's partition count is pinned while it exists (see docs/design/partitioned-feeds.md).
   */
  partitioned?: boolean;
  apply: (entry: FeedEntry, context: ProjectionContext) => Promise<void>;
}

export function defineProjection(definition: ProjectionDefinition): ProjectionDefinition {
  if (definition.tables.length === 0) throw new Error(`projection ${definition.name} owns no tables`);
  return definition;
}
