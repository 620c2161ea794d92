import { monitorEventLoopDelay } from 'node:perf_hooks';
import { channels } from '@eventloom/core';
import { principal, startRuntime } from '../env.ts';
import { insertReference, openLoop, visibleFigures } from '../open-loop.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { http, percentile, round, sleep } from '../util.ts';

/**
 * 3. Command → view visible latency, open loop at a fixed rate: command i is due at
 *    t0 + i/rate whether or not earlier ones finished, then waits for its views
 *    (waitForViews, 10 s). Latency = visible − due time (so a late send counts).
 *    Reference: p50 of raw single inserts sent one after another.
 */
export async function latencyScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rate = 200;
  const durationMs = ctx.quick ? 5000 : 20_000;
  const counters = 200;
  const prefix = ctx.prefix('v');

  const reference = await insertReference(ctx, prefix);
  const rawP50 = reference.p50;
  ctx.log(`raw sequential createEntity: p50 ${round(rawP50)} ms, p99 ${round(percentile(reference.samples, 99))} ms (${reference.samples.length} samples)`);

  const bench = await startRuntime(ctx.connectionString, prefix, { workers: true });
  try {
    const counter = bench.runtime.context('counter');
    // When each event reached the feed (relay notice), to split visible latency into relay and projection.
    const inFeedAt = new Map<string, number>();
    const stopListening = await bench.runtime.bus.subscribe(channels.feed('counter'), (message) => {
      const now = performance.now();
      for (const entry of (message as { entries: { id: string }[] }).entries) inFeedAt.set(entry.id, now);
    });
    // Warm-up: every counter once, so the runtime, relay and projection are all running.
    await Promise.all(
      Array.from({ length: counters }, async (_, i) => {
        const accepted = await counter.execute('counter', 'increment', { id: `c${i}`, by: 1 }, { principal });
        await counter.waitForViews(accepted, 10_000);
      }),
    );

    const total = Math.round((rate * durationMs) / 1000);
    const visible: number[] = [];
    const acceptedIn: number[] = [];
    const sent: { id: string; due: number; acceptedMs: number; visibleMs?: number }[] = [];
    let timeouts = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const cpu = process.cpuUsage();
    const requestsBefore = http.requests;
    const { t0, achieved, lateSends, errors } = await openLoop(rate, total, async (i, due) => {
      const accepted = await counter.execute('counter', 'increment', { id: `c${i % counters}`, by: 1 }, { principal });
      acceptedIn.push(performance.now() - due);
      const sample: (typeof sent)[number] = { id: accepted.events[0]!.id, due, acceptedMs: performance.now() - due };
      sent.push(sample);
      const applied = await counter.waitForViews(accepted, 10_000);
      if (applied) visible.push((sample.visibleMs = performance.now() - due));
      else timeouts++;
    });
    // The bus notice can trail the view: a projection in this process hears of entries directly.
    await sleep(200);
    await stopListening();
    const inFeed = sent.flatMap(({ id, due }) => (inFeedAt.has(id) ? [inFeedAt.get(id)! - due] : []));
    // The slowest commands with when they were due: stalls show up as runs of neighbours.
    const slowest = [...sent]
      .sort((a, b) => (b.visibleMs ?? Infinity) - (a.visibleMs ?? Infinity))
      .slice(0, 10)
      .map((s) => ({ dueAtMs: Math.round(s.due - t0), acceptedMs: round(s.acceptedMs), inFeedMs: inFeedAt.has(s.id) ? round(inFeedAt.get(s.id)! - s.due) : null, visibleMs: s.visibleMs === undefined ? null : round(s.visibleMs) }));
    loopDelay.disable();
    const cpuUsed = process.cpuUsage(cpu);
    const cpuShare = (cpuUsed.user + cpuUsed.system) / 1000 / (performance.now() - t0);
    const loopP99 = loopDelay.percentile(99) / 1e6;
    const requestsPerCommand = (http.requests - requestsBefore) / total;
    const completedRate = visible.length / ((performance.now() - t0) / 1000);
    const p50 = percentile(visible, 50);
    const p99 = percentile(visible, 99);
    ctx.log(
      `${total} commands at ${round(achieved, 1)}/s sent (target ${rate}/s, ${lateSends} sent late), ${visible.length} visible, ${timeouts} timeouts, ${errors} errors`,
    );
    ctx.log(
      `accepted p50 ${round(percentile(acceptedIn, 50))} ms p99 ${round(percentile(acceptedIn, 99))} ms; ` +
        `in feed p50 ${round(percentile(inFeed, 50))} ms p99 ${round(percentile(inFeed, 99))} ms`,
    );
    ctx.log(
      `this process: ${round(cpuShare * 100, 0)}% of a core, event-loop delay p99 ${round(loopP99, 1)} ms; ` +
        `${round(requestsPerCommand, 2)} storage requests per command (command + relay + projection)`,
    );
    ctx.log(`visible p50 ${round(p50)} ms p99 ${round(p99)} ms`);
    const details = {
      rate,
      durationMs,
      counters,
      sent: total,
      achievedSendRate: achieved,
      visibleRate: completedRate,
      lateSends,
      visible: visible.length,
      timeouts,
      errors,
      acceptedP50: percentile(acceptedIn, 50),
      acceptedP99: percentile(acceptedIn, 99),
      inFeedP50: percentile(inFeed, 50),
      inFeedP99: percentile(inFeed, 99),
      ...visibleFigures(visible, reference),
      processCpuShare: cpuShare,
      requestsPerCommand,
      eventLoopDelayP99Ms: loopP99,
      eventLoopDelayMaxMs: loopDelay.max / 1e6,
      slowest,
    };
    const ok = timeouts === 0 && errors === 0;
    const rawFigure = { value: rawP50, unit: 'ms', label: 'p50 raw insert' };
    return [
      {
        id: 'visible-p50',
        scenario: `3. command→view visible p50 @ ${rate}/s (sent ${round(achieved, 0)}/s)`,
        eventloom: { value: p50, unit: 'ms' },
        raw: rawFigure,
        ratio: ok ? p50 / rawP50 : Number.NaN,
        target: { op: '<=', value: 12 },
        details,
      },
      {
        id: 'visible-p99',
        scenario: `   command→view visible p99${ok ? '' : ` (${timeouts} timeouts, ${errors} errors)`}`,
        eventloom: { value: p99, unit: 'ms' },
        raw: rawFigure,
        ratio: ok ? p99 / rawP50 : Number.NaN,
        target: { op: '<=', value: 20 },
        details,
      },
      {
        id: 'in-feed-p50',
        scenario: `   (info) command→in feed p50 (execute + relay)`,
        eventloom: { value: details.inFeedP50, unit: 'ms' },
        raw: rawFigure,
        ratio: details.inFeedP50 / rawP50,
        details,
      },
      {
        id: 'accepted-p50',
        scenario: `   (info) command accepted p50 (execute only)`,
        eventloom: { value: details.acceptedP50, unit: 'ms' },
        raw: rawFigure,
        ratio: details.acceptedP50 / rawP50,
        details,
      },
    ];
  } finally {
    await bench.close();
  }
}
