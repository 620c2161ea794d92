import type { TableClient } from '@azure/data-tables';
import { isNotFound, isPreconditionFailed, type Storage } from './storage.ts';

/** A writer trusts its own marker this long and skips re-marking the stream. */
export const markerFreshMs = 5_000;
/**
 * A marker untouched this long has a quiet stream: a writer commits at most 2 × fresh
 * after its touch (a slower append re-marks), plus a margin for clock skew.
 */
export const markerRetireMs = 15_000;

export interface PendingMarker {
  stream: string;
  /** When a writer last touched it (server time). */
  touchedAt: Date;
  etag: string;
}

/**
 * Tells the relay which streams may hold unrelayed events, so finding them costs in
 * proportion to the active streams, not to the size of the store.
 *
 * A writer upserts the marker *before* its append, so a crash after the commit can
 * never hide an event. To keep an append at one request, a writer skips the upsert
 * while its own last touch is fresh; the relay retires a marker only after it has
 * been untouched for much longer, and a writer whose append outlived the fresh window
 * touches it again afterwards.
 */
export class PendingMarkers {
  private readonly table: Promise<TableClient>;
  private readonly touched = new Map<string, number>();

  constructor(storage: Storage, context: string) {
    this.table = storage.table(context, 'Pending');
  }

  async ready(): Promise<void> {
    await this.table;
  }

  private static partition(stream: string): string {
    let hash = 0;
    for (let i = 0; i < stream.length; i++) hash = (hash * 31 + stream.charCodeAt(i)) | 0;
    return `p${(hash >>> 0) % 16}`;
  }

  /** Before an append. */
  async mark(stream: string): Promise<void> {
    const last = this.touched.get(stream);
    const now = performance.now();
    if (last !== undefined && now - last < markerFreshMs) return;
    await (await this.table).upsertEntity({ partitionKey: PendingMarkers.partition(stream), rowKey: stream, touched: true }, 'Merge');
    this.touched.set(stream, now);
    if (this.touched.size > 50_000) this.forgetOldest();
  }

  /** After a successful append: re-mark if the append took so long the marker might have been retired. */
  async confirm(stream: string): Promise<void> {
    const last = this.touched.get(stream);
    if (last !== undefined && performance.now() - last > 2 * markerFreshMs) {
      this.touched.delete(stream);
      await this.mark(stream);
    }
  }

  async list(): Promise<PendingMarker[]> {
    const markers: PendingMarker[] = [];
    for await (const row of (await this.table).listEntities<{ timestamp?: string }>({ queryOptions: { select: ['RowKey', 'Timestamp'] } })) {
      markers.push({ stream: row.rowKey!, touchedAt: new Date(row.timestamp ?? 0), etag: row.etag });
    }
    return markers;
  }

  /** Removes a marker unless a writer touched it since it was listed. True when removed. */
  async retire(marker: PendingMarker): Promise<boolean> {
    try {
      await (await this.table).deleteEntity(PendingMarkers.partition(marker.stream), marker.stream, { etag: marker.etag });
      return true;
    } catch (error) {
      if (isPreconditionFailed(error) || isNotFound(error)) return false;
      throw error;
    }
  }

  private forgetOldest(): void {
    const cutoff = performance.now() - markerFreshMs;
    for (const [stream, at] of this.touched) if (at < cutoff) this.touched.delete(stream);
  }
}
