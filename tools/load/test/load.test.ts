/**
 * A short load run against a stack of its own (in-memory Azurite, a gateway and a worker
 * as child processes on loopback): 20 clients for 8 s with the hostile requests mixed in.
 * The /health latency is the tool's report, not this test's business: timed assertions
 * do not belong in tests.
 */
import { describe, expect, it } from 'vitest';
import { checkNames } from '../src/checks.ts';
import { hostileEpisodes } from '../src/hostile.ts';
import { summary } from '../src/report.ts';
import { runLoad } from '../src/run.ts';

describe('a short load run', () => {
  it(
    'keeps the gateway up, answers no unexpected 5xx, refuses every hostile request as it must and loses nothing',
    async () => {
      const { figures, verdicts } = await runLoad({ clients: 20, durationMs: 8_000 });
      const judged = verdicts.filter((v) => v.name !== checkNames.health);
      expect(judged.filter((v) => !v.pass), summary(figures, verdicts)).toEqual([]);
      expect(judged.map((v) => v.name)).toEqual(Object.values(checkNames).filter((name) => name !== checkNames.health));
      // It did what it claims: writes acknowledged and checked, hostile requests of every kind sent.
      expect(figures.writes.acknowledged).toBeGreaterThan(0);
      expect(figures.accounts.touched).toBeGreaterThan(0);
      expect(Object.keys(figures.hostile.kinds)).toHaveLength(hostileEpisodes().length);
    },
    120_000,
  );
});
