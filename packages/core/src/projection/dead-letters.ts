import { odata, type TableClient } from '@azure/data-tables';
import { isConflict, isNotFound } from '../store/storage.ts';
import { seqKey } from '../store/keys.ts';

export type DeadLetterState = 'parked' | 'retry-requested' | 'retried' | 'skipped' | 'superseded';

/** An event a projection's handler kept failing on: it is not in that generation's views. */
export interface DeadLetter {
  projection: string;
  seq: number;
  eventId: string;
  type: string;
  stream: string;
  error: string;
  at: string;
  state: DeadLetterState;
  attempts: number;
  /** The view generation that parked it (a rebuild's shadow parks for its own). */
  generation?: number;
}

/**
 * A letter's row: one per generation and seq, so a rebuild's shadow failing on an event
 * the live view lacks too parks a letter of its own beside the live one (generation 0
 * keeps the plain seq key that letters were stored under before).
 */
export const letterKey = (seq: number, generation = 0) => (generation === 0 ? seqKey(seq) : `${seqKey(seq)}~g${generation}`);

/** The row keys of every generation's letter at a seq. */
export const lettersAtSeq = (seq: number) => ({ from: seqKey(seq), to: `${seqKey(seq)}~h` });

/**
 * The DeadLetters table of one projection (PK = projection, RK = seq, and generation). A letter says
 * which generation of the views lacks the event; a rebuild that swaps in a new
 * generation supersedes the letters of the old ones.
 */
export class DeadLetterBook {
  private readonly table: TableClient;
  private readonly projection: string;

  constructor(table: TableClient, projection: string) {
    this.table = table;
    this.projection = projection;
  }

  /** Records a parked event unless its generation recorded it already (a replay). */
  async park(letter: DeadLetter): Promise<void> {
    const generation = letter.generation ?? 0;
    const entity = { partitionKey: this.projection, rowKey: letterKey(letter.seq, generation), ...letter, generation };
    try {
      await this.table.createEntity(entity);
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }

  /** Letters of the live generation an admin asked to retry. */
  async requested(generation: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    const rows = this.table.listEntities<DeadLetter>({ queryOptions: { filter: odata`PartitionKey eq ${this.projection} and state eq ${'retry-requested'}` } });
    for await (const row of rows) if (Number(row.generation ?? 0) === generation) letters.push({ ...row, seq: Number(row.seq), attempts: Number(row.attempts ?? 1) });
    return letters;
  }

  /** The outcome of a retry: applied, or parked again with the new error. */
  async settle(letter: DeadLetter, error: string | undefined): Promise<void> {
    await this.table.updateEntity(
      {
        partitionKey: this.projection,
        rowKey: letterKey(letter.seq, Number(letter.generation ?? 0)),
        state: error === undefined ? 'retried' : 'parked',
        attempts: letter.attempts + 1,
        ...(error === undefined ? { retriedAt: new Date().toISOString() } : { error }),
      },
      'Merge',
    );
  }

  /**
   * Letters no reader's view lacks any more: after a swap to `generation`, those of older
   * generations; after a cancelled rebuild, those of its shadow (`only`).
   */
  async supersede(generation: number, only?: 'this generation'): Promise<void> {
    const rows = this.table.listEntities<DeadLetter>({ queryOptions: { filter: odata`PartitionKey eq ${this.projection}` } });
    for await (const row of rows) {
      const of = Number(row.generation ?? 0);
      if ((only ? of !== generation : of >= generation) || row.state === 'superseded') continue;
      await this.table.updateEntity({ partitionKey: this.projection, rowKey: row.rowKey!, state: 'superseded' }, 'Merge').catch((error) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }
}
