import type { TableClient } from '@azure/data-tables';
import type { ContextRuntime } from '@eventloom/core';

/** The parts of the core's LocalContext this package reads (not on ContextRuntime yet). */
interface RawViewAccess {
  generations?: { of(projection: string): Promise<number> };
  viewTable?: (table: string, generation: number) => Promise<TableClient>;
  redisUrl?: string;
}

/**
 * The raw Azure table behind a view, in the generation readers use now (a rebuild
 * swaps in a new one). The category cache needs what `runtime.views` hides: ETags
 * and key-only (`$select`) queries, and an operator's edits land in this table.
 *
 * The core's ContextRuntime does not offer this yet; its LocalContext has
 * `generations.of(projection)` and `viewTable(table, generation)`. Until the core
 * exposes a reader for it, use those and say clearly what is missing otherwise.
 */
export function liveViewTable(runtime: ContextRuntime, table: string): () => Promise<TableClient> {
  const raw = runtime as ContextRuntime & RawViewAccess;
  const owner = runtime.definition.projections.find((p) => p.tables.includes(table))?.name;
  if (!owner) throw new Error(`context ${runtime.name} has no view table ${table}`);
  if (typeof raw.viewTable !== 'function' || typeof raw.generations?.of !== 'function') {
    throw new Error(`context ${runtime.name}: the runtime gives no raw client for view table ${table} (needs viewTable() and generations)`);
  }
  return async () => raw.viewTable!(table, await raw.generations!.of(owner));
}

/** Where Redis is, for a second connection beside the bus (the cache's L2). */
export function redisUrlOf(runtime: ContextRuntime): string {
  return (runtime as ContextRuntime & RawViewAccess).redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}
