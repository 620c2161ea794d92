import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { report } from '../src/report.ts';
import { runSeed } from '../src/run.ts';

/**
 * The fault simulator inside the test command: a fixed set of seeds, and every seed that
 * ever failed (regressions.json). A failure prints the broken invariants and the trace;
 * `pnpm sim --seed N` replays it.
 */
const fixed = [101, 102, 103];
/** A seed found before feeds were partitioned ran on one partition: its `partitions` is absent. */
const regressions = (JSON.parse(readFileSync(new URL('../regressions.json', import.meta.url), 'utf8')) as { seed: number; broke: string; partitions?: number }[]);

const env = {
  connectionString: process.env.AZURE_STORAGE_CONNECTION_STRING!,
  redisUrl: process.env.REDIS_URL!,
};

describe.concurrent('fault simulation', () => {
  for (const seed of fixed) {
    it(`seed ${seed} keeps every invariant under its faults`, { timeout: 180_000 }, async () => {
      const result = await runSeed(seed, env, { activeMs: 8_000 });
      expect(result.ok, report(result, true)).toBe(true);
    });
  }
  for (const { seed, broke, partitions = 1 } of regressions) {
    it(`seed ${seed} (once broke: ${broke})`, { timeout: 180_000 }, async () => {
      // As `pnpm sim --seed N --partitions P --no-transfers` runs it: the same plan as when it failed (before transfers existed).
      const result = await runSeed(seed, env, { partitions, transfers: false });
      expect(result.ok, report(result, true)).toBe(true);
    });
  }
});
