import { isDeepStrictEqual } from 'node:util';
import type { Principal } from '../auth/principal.ts';
import type { AggregateDefinition, CommandMap } from '../command/define-aggregate.ts';
import type { EventEnvelope, FeedEntry, NewEvent } from '../events/envelope.ts';
import { issuesToErrors, ProblemError, problems } from '../http/problem.ts';
import type { ProjectionDefinition, ViewRow } from '../projection/define-projection.ts';
import { ViewBuffer } from '../projection/view-buffer.ts';
import { deletedColumn, isTombstone, RowMovedError, seqColumn, type RowWrite, type StoredRow, type ViewStore } from '../projection/view-store.ts';

const testPrincipal: Principal = { sub: 'test', role: 'admin' };

/** Wraps new events as stored ones, numbering versions and seqs from 1. */
export function stored(events: NewEvent[], stream = 'test-stream', occurredAt = '2026-01-01T00:00:00.000Z'): FeedEntry[] {
  return events.map((event, i) => ({
    id: `00000000-0000-7000-8000-${String(i + 1).padStart(12, '0')}`,
    type: event.type,
    schemaVersion: event.schemaVersion ?? 1,
    stream,
    version: i + 1,
    seq: i + 1,
    occurredAt,
    who: 'test',
    correlationId: 'test',
    causationId: 'test',
    data: event.data,
  }));
}

/**
 * Given/when/then for a decider, in the style of Emmett:
 * `decider(account).given([Deposited(...)]).when('withdraw', {...}).then([Withdrawn(...)])`.
 */
export function decider<TState, TCommands extends CommandMap<TState>>(aggregate: AggregateDefinition<TState, TCommands>) {
  return {
    given(history: NewEvent[] | EventEnvelope[]) {
      const envelopes: EventEnvelope[] = history.length > 0 && 'stream' in history[0]! ? (history as EventEnvelope[]) : stored(history as NewEvent[]);
      const state = envelopes.reduce(aggregate.evolve, aggregate.initialState());
      return {
        state,
        when<K extends keyof TCommands & string>(command: K, input: unknown, options: { principal?: Principal; now?: Date } = {}) {
          const definition = aggregate.commands[command];
          if (!definition) throw new Error(`aggregate ${aggregate.name} has no command ${command}`);
          const decide = (parsed: unknown) => definition.decide(parsed, state, { principal: options.principal ?? testPrincipal, now: options.now ?? new Date('2026-01-01T00:00:00Z') });
          /** What the command came to: its events, a refusal, or its input's issues (as the gateway would answer 400). */
          const outcome = (): { events: NewEvent[] } | { refused: ProblemError } | { invalid: Record<string, string[]> } => {
            const parsed = definition.schema.safeParse(input);
            if (!parsed.success) return { invalid: issuesToErrors(parsed.error.issues) };
            try {
              return { events: decide(parsed.data) };
            } catch (error) {
              if (!(error instanceof ProblemError)) throw error;
              const errors = (error.problem as { errors?: Record<string, string[]> }).errors;
              return error.problem.status === 400 && errors ? { invalid: errors } : { refused: error };
            }
          };
          const said = (result: ReturnType<typeof outcome>): string =>
            'events' in result
              ? `events ${JSON.stringify(result.events.map(({ type, data }) => ({ type, data })), null, 2)}`
              : 'refused' in result
                ? `a refusal ${codeOf(result.refused)} (${result.refused.status}): ${result.refused.message}`
                : `an invalid input: ${Object.entries(result.invalid).map(([field, messages]) => `${field}: ${messages.join('; ')}`).join(', ')}`;
          const run = () => {
            const result = outcome();
            if ('events' in result) return result.events;
            throw new Error(`expected the command to be decided, but it met ${said(result)}`);
          };
          return {
            /**
             * The decider refused the command with this code: the end of its problem type
             * (`problems.rejected('insufficient-funds', …)` → 422 `…/problems/insufficient-funds`;
             * `problems.notFound(…)` → 404 `…/problems/not-found`).
             */
            thenRejects(code: string): void {
              const result = outcome();
              if ('refused' in result && codeOf(result.refused) === code) return;
              throw new Error(`expected a refusal ${code}, but the command met ${said(result)}`);
            },
            /**
             * The command's input was invalid (the gateway answers 400 and writes nothing): at
             * `field` when given (a path such as `title` or `to.bank`).
             */
            thenInvalid(field?: string): void {
              const result = outcome();
              if ('invalid' in result && (field === undefined || field in result.invalid)) return;
              throw new Error(`expected an invalid input${field ? ` at ${field}` : ''}, but the command met ${said(result)}`);
            },
            /** The decider produced exactly these events (type and data). */
            then(expected: NewEvent[]): void {
              const actual = run().map(({ type, data }) => ({ type, data }));
              const wanted = expected.map(({ type, data }) => ({ type, data }));
              if (!isDeepStrictEqual(actual, wanted)) {
                throw new Error(`expected events\n${JSON.stringify(wanted, null, 2)}\nbut got\n${JSON.stringify(actual, null, 2)}`);
              }
            },
            /** The decider refused: with a problem whose type ends with `code`, or matching the predicate. */
            thenThrows(expected: string | ((error: unknown) => boolean)): void {
              let result: ReturnType<typeof outcome>;
              try {
                result = outcome();
              } catch (error) {
                if (typeof expected !== 'string' && expected(error)) return;
                throw new Error(`the decider threw something else: ${(error as Error).message}`);
              }
              if ('events' in result) throw new Error(`expected a refusal but got ${said(result)}`);
              // An invalid input is the `validation` problem the gateway answers.
              const error = 'refused' in result ? result.refused : problems.validation(result.invalid);
              const ok = typeof expected === 'string' ? error.problem.type.endsWith(expected) : expected(error);
              if (!ok) throw new Error(`the decider threw something else: ${said(result)}`);
            },
          };
        },
      };
    },
  };
}

/** A problem's code: the end of its type URI. */
const codeOf = (error: ProblemError) => error.problem.type.slice(error.problem.type.lastIndexOf('/') + 1);

/** Rows in memory, for projection unit tests. */
export class MemoryViewStore implements ViewStore {
  /** Rows by `pk\u0000rk`, tombstones included (`_deleted`). */
  readonly rows = new Map<string, ViewRow & { etag: string }>();
  private version = 0;

  async get(pk: string, rk: string): Promise<StoredRow> {
    const entity = this.rows.get(`${pk}\u0000${rk}`);
    if (!entity) return { row: null };
    const { etag, ...row } = structuredClone(entity);
    const seq = row[seqColumn] === undefined ? {} : { seq: Number(row[seqColumn]) };
    return { row: isTombstone(row) ? null : (row as ViewRow), etag, ...seq };
  }

  /** Conditional like a table: a row lands only over its base version, all or none. */
  async writeChunk(writes: RowWrite[]): Promise<string[]> {
    for (const write of writes) {
      const current = this.rows.get(`${write.partitionKey}\u0000${write.rowKey}`);
      if ((current?.etag ?? null) !== write.base) throw new RowMovedError(`${write.partitionKey}/${write.rowKey}`);
    }
    return writes.map((write) => {
      const etag = `v${++this.version}`;
      const row = write.row === null ? { partitionKey: write.partitionKey, rowKey: write.rowKey, [seqColumn]: write.seq, [deletedColumn]: true } : structuredClone(write.row);
      this.rows.set(`${write.partitionKey}\u0000${write.rowKey}`, { ...row, etag });
      return etag;
    });
  }

  async isEmpty(): Promise<boolean> {
    return this.rows.size === 0;
  }

  /** Rows without the bookkeeping seq column, sorted by keys (deleted rows left out). */
  list(): ViewRow[] {
    return [...this.rows.values()]
      .filter((row) => !isTombstone(row))
      .map(({ _seq: _, etag: _etag, ...row }) => row as ViewRow)
      .sort((a, b) => (a.partitionKey + '\u0000' + a.rowKey < b.partitionKey + '\u0000' + b.rowKey ? -1 : 1));
  }
}

/**
 * Runs a projection over events in memory, with the same per-row seq rules as the
 * real runner: `await projection(counters).given(stored([...])).rows('Counters')`.
 */
export function projection(definition: ProjectionDefinition) {
  const tables = new Map(definition.tables.map((t) => [t, new MemoryViewStore()]));
  const handles = new Set(definition.handles);
  const api = {
    tables,
    async given(entries: FeedEntry[]) {
      const buffer = new ViewBuffer(tables);
      for (const entry of entries) {
        if (!handles.has(entry.type)) continue;
        buffer.seq = entry.seq;
        await definition.apply(entry, buffer);
        buffer.commit();
      }
      await buffer.flush();
      return api;
    },
    rows(table: string): ViewRow[] {
      const store = tables.get(table);
      if (!store) throw new Error(`projection ${definition.name} has no table ${table}`);
      return store.list();
    },
  };
  return api;
}
