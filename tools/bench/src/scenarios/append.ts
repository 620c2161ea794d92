import { eventLikeRow, incremented, metadata, principal, rawTable, startRuntime } from '../env.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { closedLoop, interleaved, round } from '../util.ts';
import { EventStore } from '../../../../packages/core/src/store/event-store.ts';
import { Storage } from '../../../../packages/core/src/store/storage.ts';

const writers = 32;

/**
 * 1. Append throughput at 32 concurrent writers, interleaved in short slices.
 *    raw:       createEntity of an event-sized row, 32 loops, each on its own partition.
 *    eventloom: EventStore.append of one event, 32 loops, each on its own stream
 *               (expected version tracked by the writer).
 *    info rows: a new stream for every append; the full command path (execute).
 */
export async function appendScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rounds = ctx.quick ? 2 : 4;
  const sliceMs = ctx.quick ? 1500 : 2000;
  const prefix = ctx.prefix('a');
  const raw = await rawTable(ctx.connectionString, `${prefix}raw`);
  const bench = await startRuntime(ctx.connectionString, prefix, { workers: false });
  try {
    const { store } = bench;
    const commands = bench.runtime.context('counter');
    // The same store class with no commit hook: isolates the cost of the Redis commit hint.
    const silentStore = new EventStore(new Storage(ctx.connectionString, prefix), 'counter');
    await silentStore.ready();
    const silentVersions = new Array<number>(writers).fill(0);
    const rawVersions = new Array<number>(writers).fill(0);
    const versions = new Array<number>(writers).fill(0);
    let nextStream = 0;

    // Warm-up: connections, table clients, the writers' pending markers.
    await closedLoop(writers, 500, async (w) => void (await raw.createEntity(eventLikeRow(`raw-${w}`, ++rawVersions[w]!))));
    await closedLoop(writers, 500, async (w) => {
      await store.append(`counter-few-${w}`, versions[w]!, [incremented(`few-${w}`)], metadata());
      versions[w]!++;
    });
    await closedLoop(writers, 300, async (w) => {
      await silentStore.append(`counter-silent-${w}`, silentVersions[w]!, [incremented(`silent-${w}`)], metadata());
      silentVersions[w]!++;
    });
    await closedLoop(writers, 500, async (w) => void (await commands.execute('counter', 'increment', { id: `cmd-${w}`, by: 1 }, { principal })));

    const r = await interleaved(rounds, sliceMs, writers, {
      raw: async (w) => void (await raw.createEntity(eventLikeRow(`raw-${w}`, ++rawVersions[w]!))),
      append: async (w) => {
        await store.append(`counter-few-${w}`, versions[w]!, [incremented(`few-${w}`)], metadata());
        versions[w]!++;
      },
      noHint: async (w) => {
        await silentStore.append(`counter-silent-${w}`, silentVersions[w]!, [incremented(`silent-${w}`)], metadata());
        silentVersions[w]!++;
      },
      appendNew: async () => {
        const n = nextStream++;
        await store.append(`counter-new-${n}`, 0, [incremented(`new-${n}`)], metadata());
      },
      execute: async (w) => void (await commands.execute('counter', 'increment', { id: `cmd-${w}`, by: 1 }, { principal })),
    });
    for (const [name, result] of Object.entries(r)) {
      ctx.log(
        `${name.padEnd(9)} ${round(result.rate, 0)}/s  rounds ${result.rounds.join(' ')}  (${result.ops} ops, ${result.errors} errors, ` +
          `${round(result.cpuMsPerOp, 2)} ms CPU/op in this process, ${round(result.requestsPerOp, 2)} storage requests/op)`,
      );
    }

    const rawFigure = { value: r.raw.rate, unit: '/s', label: `createEntity x${writers}` };
    return [
      {
        id: 'append',
        scenario: `1. EventStore.append, 1 event, ${writers} writers on ${writers} streams`,
        eventloom: { value: r.append.rate, unit: '/s' },
        raw: rawFigure,
        ratio: r.append.rate / r.raw.rate,
        target: { op: '>=', value: 0.95 },
        details: { raw: r.raw, append: r.append, rounds, sliceMs, writers },
      },
      {
        id: 'append-no-hint',
        scenario: `   (info) append without the Redis commit hint`,
        eventloom: { value: r.noHint.rate, unit: '/s' },
        raw: rawFigure,
        ratio: r.noHint.rate / r.raw.rate,
        details: { noHint: r.noHint, note: 'EventStore with onCommitted unset: no JSON + Redis PUBLISH per append; not a usable configuration, a diagnosis' },
      },
      {
        id: 'append-new-streams',
        scenario: `   (info) append, a new stream per append`,
        eventloom: { value: r.appendNew.rate, unit: '/s' },
        raw: rawFigure,
        ratio: r.appendNew.rate / r.raw.rate,
        details: { appendNew: r.appendNew, note: 'the first append to a stream also upserts its pending marker: 2 requests' },
      },
      {
        id: 'execute',
        scenario: `   (info) command path: execute, ${writers} counters`,
        eventloom: { value: r.execute.rate, unit: '/s' },
        raw: rawFigure,
        ratio: r.execute.rate / r.raw.rate,
        details: { execute: r.execute, note: 'execute = tail query of the stream + insert (+ Redis hint and status)' },
      },
    ];
  } finally {
    await bench.close();
  }
}
