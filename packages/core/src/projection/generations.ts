import type { ContainerClient } from '@azure/storage-blob';
import type { Storage } from '../store/storage.ts';
import type { DeadLetter } from './dead-letters.ts';

/**
 * A projection's view tables come in generations: a rebuild fills generation g + 1
 * beside the live generation g and swaps it in. Generation 0 keeps the plain name.
 */
export function viewTableName(storage: Storage, context: string, table: string, generation: number): string {
  return generation === 0 ? storage.tableName(context, 'View', table) : storage.tableName(context, 'View', table, `G${generation}`);
}

export type RebuildState = 'requested' | 'running' | 'cancel-requested' | 'cancelled' | 'done' | 'failed';

/** What admins and the runner say to each other about one projection's rebuild. */
export interface RebuildRecord {
  id: string;
  projection: string;
  state: RebuildState;
  requestedBy: string;
  requestedAt: string;
  /** Filled by the runner. */
  generation?: number;
  done?: number;
  total?: number;
  eventsPerSecond?: number;
  etaSeconds?: number;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
}

/** The live projection's durable state, in its lease blob. */
export interface ProjectionCheckpoint {
  seq: number;
  /** Generation of the tables readers use (default 0). */
  generation?: number;
  /**
   * Events past `seq` its handler failed on, parked before the rows of their batch were
   * written: whoever replays that batch leaves them out too, whatever its handler does now.
   */
  parked?: DeadLetter[];
  /** A retried dead letter applied at `at` (between `seq` and the next seq), recorded before its rows are written. */
  retrying?: { seq: number; at: number };
  /** The position of the last retry past `seq`: the next goes after it. */
  retriedAt?: number;
  /** A rebuild in progress: the shadow generation, how far it got, and what it parked past there. */
  shadow?: { id: string; generation: number; seq: number; startedAt: string; parked?: DeadLetter[]; following?: boolean };
  /** The first runner of a partitioned projection: generations to drop once every partition has let go of them. */
  retiring?: { generation: number; reason: 'swapped' | 'cancelled' }[];
  /** Highest generation ever used, so a name is never reused. */
  lastGeneration?: number;
  /** Set when the position is one partition's (a partitioned projection over more than one partition): how many. */
  partitioned?: number;
}

export const checkpointBlob = (projection: string) => `leases/projection-${projection}.json`;
export const rebuildBlob = (projection: string) => `rebuilds/${projection}.json`;

export async function readJson<T>(container: ContainerClient, name: string): Promise<{ value: T; etag: string } | undefined> {
  const blob = container.getBlockBlobClient(name);
  try {
    const response = await blob.download(0);
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody!) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return undefined;
    return { value: JSON.parse(text) as T, etag: response.etag! };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/**
 * Which generation readers should use, per projection, cached briefly. A reader that
 * meets a dropped table (after a swap) refreshes and retries.
 */
export class Generations {
  private readonly container: () => Promise<ContainerClient>;
  private readonly cache = new Map<string, { generation: number; until: number }>();

  constructor(container: () => Promise<ContainerClient>) {
    this.container = container;
  }

  async of(projection: string): Promise<number> {
    const cached = this.cache.get(projection);
    if (cached && cached.until > performance.now()) return cached.generation;
    const checkpoint = await readJson<ProjectionCheckpoint>(await this.container(), checkpointBlob(projection));
    const generation = checkpoint?.value.generation ?? 0;
    this.cache.set(projection, { generation, until: performance.now() + 5000 });
    return generation;
  }

  forget(projection?: string): void {
    if (projection) this.cache.delete(projection);
    else this.cache.clear();
  }
}
