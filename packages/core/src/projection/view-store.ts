import type { TableClient, TransactionAction } from '@azure/data-tables';
import { isConflict, isNotFound, isPreconditionFailed } from '../store/storage.ts';
import type { ViewRow } from './define-projection.ts';

/** Column on every view row: the feed seq of the event that last wrote it. */
export const seqColumn = '_seq';
/** Column on rows of a partitioned projection: the feed partition whose events wrote it. */
export const partitionColumn = '_p';
/** Column of a deleted row's tombstone (see ViewStore). */
export const deletedColumn = '_deleted';

/** A row as stored: its content (`null` when absent or deleted), its version and seq. */
export interface StoredRow {
  row: ViewRow | null;
  /** The row's ETag; absent when no row (not even a tombstone) exists. */
  etag?: string;
  /** The seq that last wrote it (a tombstone keeps the seq of the delete). */
  seq?: number;
}

/** One row to write, and the version it was computed from. */
export interface RowWrite {
  partitionKey: string;
  rowKey: string;
  /** The new content with its `_seq`; `null` deletes (leaves a tombstone). */
  row: ViewRow | null;
  seq: number;
  /** The ETag it replaces, or `null` when it must not exist yet. */
  base: string | null;
  /** A put: content that depends on its event alone, so it may replace any older row. */
  put: boolean;
}

/**
 * Where view rows live: an Azure table, or memory in unit tests.
 *
 * Writes are conditional: each row lands only over the version it was computed from
 * (If-Match its ETag, or insert-only when it was absent). That is the fence of view
 * writes: a runner that lost its lease, or a late request of one that failed, can
 * never overwrite a row its successor wrote. A deleted row stays as a tombstone
 * (`_deleted`), so a late insert meets it instead of resurrecting the row; readers
 * never see tombstones.
 */
export interface ViewStore {
  get(partitionKey: string, rowKey: string): Promise<StoredRow>;
  /** Writes rows of one partition (≤ 100) atomically; returns their new ETags. Throws RowMovedError when a row is not at its base. */
  writeChunk(writes: RowWrite[]): Promise<string[]>;
  /** No row at all (then a runner starting from seq 0 knows every row without reading). */
  isEmpty(): Promise<boolean>;
}

/** A conditional view write met a row that is no longer at the version it was computed from. */
export class RowMovedError extends Error {
  constructor(detail: string) {
    super(`a view row moved under the writer: ${detail}`);
    this.name = 'RowMovedError';
  }
}

/**
 * Someone else wrote a view row this runner computed from an older version: the runner
 * gives up its work (and lease) and a holder starts over from durable state.
 */
export class ViewConflictError extends Error {
  constructor(table: string, partitionKey: string, rowKey: string) {
    super(`view ${table} row ${partitionKey}/${rowKey} was written by another runner; starting over from the checkpoint`);
    this.name = 'ViewConflictError';
  }
}

export function isTombstone(entity: Record<string, unknown>): boolean {
  return entity[deletedColumn] === true;
}

/** Drops the SDK's bookkeeping fields. */
export function fromEntity(entity: Record<string, unknown>): ViewRow {
  const { etag: _etag, timestamp: _timestamp, 'odata.metadata': _meta, ...row } = entity;
  return row as ViewRow;
}

function stored(entity: Record<string, unknown> & { etag?: string }): StoredRow {
  const seq = entity[seqColumn] === undefined ? undefined : Number(entity[seqColumn]);
  return { row: isTombstone(entity) ? null : fromEntity(entity), ...(entity.etag ? { etag: entity.etag } : {}), ...(seq !== undefined ? { seq } : {}) };
}

function toEntity(write: RowWrite): ViewRow {
  if (write.row === null) return { partitionKey: write.partitionKey, rowKey: write.rowKey, [seqColumn]: write.seq, [deletedColumn]: true };
  const entity: ViewRow = { partitionKey: write.partitionKey, rowKey: write.rowKey };
  for (const [key, value] of Object.entries(write.row)) {
    if (value === undefined || key === 'etag' || key === 'timestamp' || key === 'partitionKey' || key === 'rowKey') continue;
    entity[key] = value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value;
  }
  return entity;
}

/** A view store on an Azure table: one transaction per chunk (one partition, ≤ 100 rows). */
export function tableViewStore(client: TableClient): ViewStore {
  return {
    async get(pk, rk) {
      try {
        return stored(await client.getEntity(pk, rk));
      } catch (error) {
        if (isNotFound(error)) return { row: null };
        throw error;
      }
    },
    async writeChunk(writes) {
      try {
        if (writes.length === 1) {
          const [write] = writes as [RowWrite];
          const response = write.base === null ? await client.createEntity(toEntity(write)) : await client.updateEntity(toEntity(write), 'Replace', { etag: write.base });
          return [response.etag!];
        }
        const actions = writes.map((write): TransactionAction => (write.base === null ? ['create', toEntity(write)] : ['update', toEntity(write), 'Replace', { etag: write.base }]));
        const response = await client.submitTransaction(actions);
        return response.subResponses.map((sub) => sub.etag!);
      } catch (error) {
        if (isConflict(error) || isPreconditionFailed(error)) throw new RowMovedError((error as Error).message);
        throw error;
      }
    },
    async isEmpty() {
      const first = await client.listEntities({ queryOptions: { select: ['PartitionKey'] } }).byPage({ maxPageSize: 1 }).next();
      if (first.done) return true;
      // A page may come back empty with more to follow: only an empty last page proves it.
      return first.value.length === 0 && !first.value.continuationToken;
    },
  };
}
