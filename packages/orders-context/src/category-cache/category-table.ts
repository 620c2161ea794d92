import { odata, type TableClient } from '@azure/data-tables';
import { categoryPartition } from '../catalog/projection.ts';

export interface Category {
  id: number;
  name: string;
}

/** A row's version as the change watcher sees it. */
export interface RowVersion {
  etag: string;
  /** The feed seq of the projection write that made it; a hand edit leaves it as it was. */
  seq: number | undefined;
}

interface CategoryEntity {
  partitionKey?: string;
  rowKey?: string;
  etag?: string;
  CategoryId?: unknown;
  CategoryName?: unknown;
  _seq?: unknown;
}

/**
 * Reads the `Categories` table as it is, including rows someone edited or added
 * by hand: the row key is the id, `CategoryName` the name; a row without a usable
 * name or numeric key is not a category and is skipped.
 */
export class CategoryTable {
  /** The live generation's table: a rebuild swaps in another one. */
  readonly client: () => Promise<TableClient>;

  constructor(client: () => Promise<TableClient>) {
    this.client = client;
  }

  /** The physical name of the table readers use now. */
  async name(): Promise<string> {
    return (await this.client()).tableName;
  }

  async list(): Promise<{ items: Category[]; etags: Record<string, string> }> {
    const items: Category[] = [];
    const etags: Record<string, string> = {};
    const rows = (await this.client()).listEntities<CategoryEntity>({ queryOptions: { filter: odata`PartitionKey eq ${categoryPartition}` } });
    for await (const row of rows) {
      // Every row the watcher sees has an ETag here, even one that is not a usable category.
      if (row.rowKey && isCategoryKey(row.rowKey)) etags[String(Number(row.rowKey))] = row.etag ?? '';
      const category = toCategory(row);
      if (category) items.push(category);
    }
    items.sort((a, b) => a.id - b.id);
    return { items, etags };
  }

  async get(id: number): Promise<{ item: Category | null; etag: string | null }> {
    try {
      const row = await (await this.client()).getEntity<CategoryEntity>(categoryPartition, String(id));
      return { item: toCategory(row), etag: row.etag ?? '' };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return { item: null, etag: null };
      throw error;
    }
  }

  /** Every row's ETag and seq, with no other column: what the watcher compares each poll. */
  async versions(): Promise<{ table: string; versions: Map<string, RowVersion> }> {
    const versions = new Map<string, RowVersion>();
    const client = await this.client();
    const rows = client.listEntities<CategoryEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${categoryPartition}`, select: ['RowKey', 'Timestamp', '_seq'] },
    });
    for await (const row of rows) {
      if (!row.rowKey || !isCategoryKey(row.rowKey)) continue;
      versions.set(String(Number(row.rowKey)), { etag: row.etag ?? '', seq: typeof row._seq === 'number' ? row._seq : undefined });
    }
    return { table: client.tableName, versions };
  }
}

const isCategoryKey = (rowKey: string) => /^\d{1,9}$/.test(rowKey) && Number(rowKey) > 0;

function toCategory(row: CategoryEntity): Category | null {
  if (!row.rowKey || !isCategoryKey(row.rowKey)) return null;
  const name = typeof row.CategoryName === 'string' ? row.CategoryName.trim() : '';
  if (!name) return null;
  return { id: Number(row.rowKey), name };
}
