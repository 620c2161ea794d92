import type { TableClient } from '@azure/data-tables';
import { eventLikeRow, rawTable } from './env.ts';
import type { ScenarioContext } from './report.ts';
import { percentile, sleep } from './util.ts';

/** Latency in open loop, against raw single inserts as the reference (scenarios 3, B1, O2). */

export interface InsertReference {
  /** The fresh raw table the inserts went to, for the scenario's other raw figures. */
  table: TableClient;
  /** Latencies (ms) of the counted inserts. */
  samples: number[];
  p50: number;
}

/**
 * Raw single inserts sent one after another on a fresh table `{prefix}raw`, 500 (200
 * quick); the first 20 warm the connection up and are not counted.
 */
export async function insertReference(ctx: ScenarioContext, prefix: string): Promise<InsertReference> {
  const table = await rawTable(ctx.connectionString, `${prefix}raw`);
  const samples: number[] = [];
  for (let i = 1; i <= (ctx.quick ? 200 : 500); i++) {
    const started = performance.now();
    await table.createEntity(eventLikeRow(`raw-${i % 10}`, i));
    if (i > 20) samples.push(performance.now() - started);
  }
  return { table, samples, p50: percentile(samples, 50) };
}

export interface OpenLoopRun {
  /** When send 0 was due (a `performance.now()` time). */
  t0: number;
  /** Sends per second achieved, from t0 until the last send started. */
  achieved: number;
  /** Sends that started more than one interval after they were due. */
  lateSends: number;
  /** Sends that threw; the first error is printed. */
  errors: number;
}

/**
 * Send i is due at t0 + i / rate whether or not earlier ones finished, so a slow system
 * cannot slow the load down and a latency taken from `due` counts a late send against
 * it. Resolves once every send has settled.
 */
export async function openLoop(rate: number, total: number, send: (i: number, due: number) => Promise<void>): Promise<OpenLoopRun> {
  const interval = 1000 / rate;
  let lateSends = 0;
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now() + 20;
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    else if (wait < -interval) lateSends++;
    inFlight.push(
      send(i, due).catch((error: unknown) => {
        errors++;
        if (errors === 1) console.error(`  first error: ${(error as Error).message}`);
      }),
    );
  }
  const achieved = total / ((performance.now() - t0) / 1000);
  await Promise.all(inFlight);
  return { t0, achieved, lateSends, errors };
}

/** The visible latencies and the reference, as a latency row's details give them. */
export function visibleFigures(visible: number[], reference: InsertReference) {
  return {
    visibleP50: percentile(visible, 50),
    visibleP90: percentile(visible, 90),
    visibleP99: percentile(visible, 99),
    visibleMax: percentile(visible, 100),
    rawP50: reference.p50,
    rawP99: percentile(reference.samples, 99),
  };
}
