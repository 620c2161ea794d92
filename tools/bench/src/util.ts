import { randomBytes } from 'node:crypto';

/** Percentile by nearest rank over a copy of the samples (ms). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A run id of lower-case letters/digits; prefixes are `b` + run id + scenario tag (≤ 16 chars). */
export function runId(length = 6): string {
  let id = '';
  for (const byte of randomBytes(length)) id += alphabet[byte % alphabet.length];
  return id;
}

/**
 * Runs `writers` concurrent loops of `op(writer, i)` for `durationMs`; returns how many
 * operations completed and the exact elapsed time (the last in-flight ops are awaited
 * and counted).
 */
export async function closedLoop(writers: number, durationMs: number, op: (writer: number, i: number) => Promise<void>): Promise<{ ops: number; seconds: number; errors: number; cpuMs: number; requests: number }> {
  const cpu = process.cpuUsage();
  const requestsBefore = http.requests;
  let ops = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let i = 0; performance.now() < deadline; i++) {
        try {
          await op(writer, i);
          ops++;
        } catch (error) {
          errors++;
          if (errors === 1) console.error(`  first error: ${(error as Error).message}`);
        }
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { ops, seconds: (performance.now() - started) / 1000, errors, cpuMs: (used.user + used.system) / 1000, requests: http.requests - requestsBefore };
}

export const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);

export interface LoopResult {
  ops: number;
  seconds: number;
  errors: number;
  rate: number;
  /** CPU time of this (bench + runtime) process per operation; Azurite's is not included. */
  cpuMsPerOp: number;
  cpuMs: number;
  /** Storage HTTP requests per operation (machine-independent). */
  requestsPerOp: number;
  requests: number;
  /** Rate of each round, to show the spread. */
  rounds: number[];
}

/**
 * Alternates short closed-loop slices of each variant for `rounds` rounds and sums them,
 * so a change in machine load during the run (other processes share the cores) hits
 * every variant alike instead of whichever ran last.
 */
export async function interleaved<K extends string>(
  rounds: number,
  sliceMs: number,
  writers: number,
  variants: Record<K, (writer: number, i: number) => Promise<void>>,
): Promise<Record<K, LoopResult>> {
  const results = {} as Record<K, LoopResult>;
  for (const key of Object.keys(variants) as K[]) results[key] = { ops: 0, seconds: 0, errors: 0, rate: 0, cpuMs: 0, cpuMsPerOp: 0, requests: 0, requestsPerOp: 0, rounds: [] };
  for (let round = 0; round < rounds; round++) {
    for (const key of Object.keys(variants) as K[]) {
      const slice = await closedLoop(writers, sliceMs, variants[key]);
      const total = results[key];
      total.ops += slice.ops;
      total.seconds += slice.seconds;
      total.errors += slice.errors;
      total.cpuMs += slice.cpuMs;
      total.requests += slice.requests;
      total.rounds.push(Math.round(slice.ops / slice.seconds));
    }
  }
  for (const total of Object.values(results) as LoopResult[]) {
    total.rate = total.ops / total.seconds;
    total.cpuMsPerOp = total.cpuMs / total.ops;
    total.requestsPerOp = total.requests / total.ops;
  }
  return results;
}

/** HTTP requests this process has started (Azure SDK calls to Azurite), counted via diagnostics_channel. */
export const http = { requests: 0 };
import('node:diagnostics_channel').then(({ subscribe }) => subscribe('http.client.request.start', () => void http.requests++));
