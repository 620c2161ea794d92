import { odata, type TableClient } from '@azure/data-tables';
import { problems } from '../http/problem.ts';
import type { Generations } from '../projection/generations.ts';
import { fromEntity, isTombstone } from '../projection/view-store.ts';
import { isNotFound, type Storage } from '../store/storage.ts';
import type { ViewPage, ViewQuery, ViewReader } from './context-runtime.ts';
import type { ContextDefinition } from './define-context.ts';

/** Storage name parts of a view table in a generation (0 keeps the plain name). */
export const viewTableParts = (context: string, table: string, generation: number): string[] =>
  generation === 0 ? [context, 'View', table] : [context, 'View', table, `G${generation}`];

/**
 * Reads a context's views from the live generation of their tables. A reader that
 * meets a table dropped by a swap refreshes the generation once and retries; a view
 * whose table does not exist yet reads as empty.
 */
export class GenerationalViews implements ViewReader {
  private readonly storage: Storage;
  private readonly context: string;
  private readonly generations: Generations;
  /** Which projection owns each view table. */
  private readonly owners = new Map<string, string>();

  constructor(storage: Storage, definition: ContextDefinition, generations: Generations) {
    this.storage = storage;
    this.context = definition.name;
    this.generations = generations;
    for (const projection of definition.projections) {
      for (const table of projection.tables) this.owners.set(table, projection.name);
    }
  }

  get(name: string, pk: string, rk: string) {
    return this.reading(
      name,
      async (table) => {
        try {
          const entity = await table.getEntity(pk, rk);
          return isTombstone(entity) ? undefined : fromEntity(entity);
        } catch (error) {
          // A missing row is not a missing table: tell them apart by the error code.
          if (isNotFound(error) && (error as { details?: { errorCode?: string } }).details?.errorCode === 'ResourceNotFound') return undefined;
          throw error;
        }
      },
      undefined,
    );
  }

  query(name: string, query: ViewQuery = {}): Promise<ViewPage> {
    const filters: string[] = [];
    if (query.partitionKey !== undefined) filters.push(odata`PartitionKey eq ${query.partitionKey}`);
    if (query.filter) filters.push(`(${query.filter})`);
    return this.reading(
      name,
      async (table) => {
        const pages = table
          .listEntities({ queryOptions: filters.length ? { filter: filters.join(' and ') } : {} })
          .byPage({ maxPageSize: query.limit ?? 1000, ...(query.cursor ? { continuationToken: query.cursor } : {}) });
        for await (const page of pages) {
          // Deleted rows stay as tombstones (see ViewStore); readers never see them.
          const rows = page.filter((row) => !isTombstone(row)).map((row) => fromEntity(row));
          return { rows, ...(page.continuationToken ? { cursor: page.continuationToken } : {}) };
        }
        return { rows: [] };
      },
      { rows: [] },
    );
  }

  /** The live generation's table (never creates one). */
  private async table(name: string): Promise<TableClient> {
    const owner = this.owners.get(name);
    if (!owner) throw problems.notFound(`context ${this.context} has no view ${name}`);
    const generation = await this.generations.of(owner);
    return this.storage.tableClient(this.storage.tableName(...viewTableParts(this.context, name, generation)));
  }

  private async reading<T>(name: string, read: (table: TableClient) => Promise<T>, missing: T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await read(await this.table(name));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        if (attempt > 0) return missing;
        this.generations.forget(this.owners.get(name));
      }
    }
  }
}
