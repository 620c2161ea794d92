import { odata, type TableClient } from '@azure/data-tables';
import { markerPartitionOf, markerPartitionsFor, wholeFeed, type FeedPartition } from '../relay/partitions.ts';
import { isNotFound, isPreconditionFailed, type Storage } from './storage.ts';

export interface PendingMarker {
  stream: string;
  /** Changes with every touch: the relay tells a quiet stream by an ETag that stays. */
  etag: string;
}

/**
 * Tells the relay which streams may hold unrelayed events, so finding them costs in
 * proportion to the active streams, not to the size of the store.
 *
 * A writer touches the marker *before* each attempt of an append, so a crash after the
 * commit can never hide an event. To keep an append at one request, a writer skips the
 * touch while its own last touch is fresh (`markerFreshMs`), and an attempt gives up
 * after `appendAttemptMs`: a commit lands at most fresh + attempt after a touch. The
 * relay retires a marker only once it has seen the same ETag for `markerRetireMs`, which
 * is longer, measured on its own clock: no two processes' clocks are ever compared.
 */
export class PendingMarkers {
  private readonly table: Promise<TableClient>;
  private readonly freshMs: number;
  readonly retireMs: number;
  private readonly touched = new Map<string, number>();

  constructor(storage: Storage, context: string) {
    this.table = storage.table(context, 'Pending');
    this.freshMs = storage.tuning.markerFreshMs;
    this.retireMs = storage.tuning.markerRetireMs;
  }

  async ready(): Promise<void> {
    await this.table;
  }

  private static partition(stream: string): string {
    return markerPartitionOf(stream);
  }

  /** Before each attempt of an append: touches the marker unless this process's last touch is fresh. */
  async mark(stream: string): Promise<void> {
    const last = this.touched.get(stream);
    if (last !== undefined && performance.now() - last < this.freshMs) return;
    const started = performance.now();
    await (await this.table).upsertEntity({ partitionKey: PendingMarkers.partition(stream), rowKey: stream, touched: true }, 'Merge');
    // Fresh from when the touch was sent: it may have landed any time after that.
    this.touched.set(stream, started);
    if (this.touched.size > 50_000) this.forgetOld();
  }

  /** The markers of one feed partition's streams (all of them for an unpartitioned feed). */
  async list(partition: FeedPartition = wholeFeed): Promise<PendingMarker[]> {
    const markers: PendingMarker[] = [];
    const filter = partition.of === 1 ? undefined : markerPartitionsFor(partition).map((key) => odata`PartitionKey eq ${key}`).join(' or ');
    for await (const row of (await this.table).listEntities({ queryOptions: { select: ['RowKey'], ...(filter ? { filter } : {}) } })) {
      markers.push({ stream: row.rowKey!, etag: row.etag });
    }
    return markers;
  }

  /**
   * Removes a marker unless a writer touched it since it was listed. `gone` when it was
   * removed already (an earlier attempt whose answer was lost, or an earlier relay).
   */
  async retire(marker: PendingMarker): Promise<'retired' | 'touched' | 'gone'> {
    try {
      await (await this.table).deleteEntity(PendingMarkers.partition(marker.stream), marker.stream, { etag: marker.etag });
      return 'retired';
    } catch (error) {
      if (isPreconditionFailed(error)) return 'touched';
      if (isNotFound(error)) return 'gone';
      throw error;
    }
  }

  private forgetOld(): void {
    const cutoff = performance.now() - this.freshMs;
    for (const [stream, at] of this.touched) if (at < cutoff) this.touched.delete(stream);
  }
}
