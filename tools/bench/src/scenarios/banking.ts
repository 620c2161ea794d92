import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { banking, bankingGateway } from '../banking-gateway.ts';
import { eventLikeRow, startRuntime } from '../env.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { insertReference, openLoop, visibleFigures } from '../open-loop.ts';
import { interleaved, percentile, round } from '../util.ts';

/**
 * Banking deposits through the gateway's HTTP app (createGateway, in-process
 * `app.request`, signed admin token) on a real runtime (workers on):
 *  - open loop at 200/s with `Prefer: wait=10`: deposit due → `200` (the balance is in
 *    the views), p50/p99 against the raw single-insert p50;
 *  - 32 concurrent clients posting deposits (no Prefer: answered `202` once stored),
 *    deposits/s against raw createEntity at 32 writers, in alternating slices.
 */
export async function bankingScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rate = 200;
  const durationMs = ctx.quick ? 5000 : 30_000;
  const accounts = 200;
  const prefix = ctx.prefix('k');

  const reference = await insertReference(ctx, prefix);
  const { table: raw, p50: rawP50 } = reference;
  ctx.log(`raw sequential createEntity: p50 ${round(rawP50)} ms (${reference.samples.length} samples)`);

  const home = await mkdtemp(join(tmpdir(), 'eventloom-bench-'));
  const bench = await startRuntime(ctx.connectionString, prefix, { workers: true, contexts: [banking] });
  try {
    const { app, token, deposit } = await bankingGateway(bench.runtime, home);

    // Warm-up: every account opened and visible (runtime, relay, projections, state cache).
    await Promise.all(Array.from({ length: accounts }, (_, i) => deposit(`B${i}`, true)));

    const total = Math.round((rate * durationMs) / 1000);
    const visible: number[] = [];
    let notVisible = 0;
    const sampled: Sample[] = [];
    const { achieved, lateSends, errors } = await openLoop(rate, total, async (i, due) => {
      const sentAt = Date.now() - (performance.now() - due);
      const { status, eventId } = await deposit(`B${i % accounts}`, true);
      if (status === 200) visible.push(performance.now() - due);
      else notVisible++;
      if (eventId && i % 5 === 0) sampled.push({ eventId, sentAt, answeredAt: Date.now() });
    });
    const p50 = percentile(visible, 50);
    const p99 = percentile(visible, 99);
    ctx.log(`${total} deposits at ${round(achieved, 1)}/s sent (${lateSends} late): ${visible.length} answered 200, ${notVisible} answered 202 after 10 s, ${errors} errors`);
    ctx.log(`deposit → balance visible p50 ${round(p50)} ms, p99 ${round(p99)} ms`);
    const segments = await whereTimeGoes(sampled.slice(-300), (id) => app.request(`/api/banking/events/${id}/journey`, { headers: { Authorization: `Bearer ${token}` } }));
    ctx.log(`where it goes (p50 / p99 ms over ${segments.events} deposits' journeys): ${Object.entries(segments.ms).map(([k, v]) => `${k} ${round(v.p50)} / ${round(v.p99)}`).join(', ')}`);

    // Throughput: 32 clients, each on its own account, alternating with raw inserts at 32.
    const next = new Array<number>(32).fill(0);
    const loops = await interleaved(ctx.quick ? 2 : 4, ctx.quick ? 1500 : 2000, 32, {
      raw: async (w) => {
        await raw.createEntity(eventLikeRow(`raw32-${w}`, ++next[w]!));
      },
      gateway: async (w) => {
        await deposit(`T${w}`, false);
      },
    });
    ctx.log(
      `32 clients: gateway ${round(loops.gateway.rate, 0)} deposits/s (${loops.gateway.errors} errors, rounds ${loops.gateway.rounds.join('/')}), ` +
        `raw ${round(loops.raw.rate, 0)} inserts/s (rounds ${loops.raw.rounds.join('/')})`,
    );

    const ok = errors === 0 && notVisible === 0;
    const details = {
      rate,
      durationMs,
      accounts,
      sent: total,
      achievedSendRate: achieved,
      lateSends,
      visible: visible.length,
      notVisible,
      errors,
      ...visibleFigures(visible, reference),
      segments,
    };
    const rawFigure = { value: rawP50, unit: 'ms', label: 'p50 raw insert' };
    return [
      {
        id: 'banking-visible-p50',
        scenario: `B1. deposit (HTTP, wait=10)→balance p50 @ ${rate}/s (sent ${round(achieved, 0)}/s)`,
        eventloom: { value: p50, unit: 'ms' },
        raw: rawFigure,
        ratio: ok ? p50 / rawP50 : Number.NaN,
        target: { op: '<=', value: 8 },
        details,
      },
      {
        id: 'banking-visible-p99',
        scenario: `    deposit→balance visible p99${ok ? '' : ` (${notVisible} not visible, ${errors} errors)`}`,
        eventloom: { value: p99, unit: 'ms' },
        raw: rawFigure,
        ratio: ok ? p99 / rawP50 : Number.NaN,
        target: { op: '<=', value: 50 },
        details,
      },
      {
        id: 'banking-throughput',
        scenario: `B2. deposits via gateway, 32 clients (202 once stored)`,
        eventloom: { value: loops.gateway.rate, unit: 'dep/s' },
        raw: { value: loops.raw.rate, unit: 'ins/s', label: '32 writers' },
        ratio: loops.gateway.errors === 0 ? loops.gateway.rate / loops.raw.rate : Number.NaN,
        target: { op: '>=', value: 0.5 },
        details: { gateway: loops.gateway, raw: loops.raw },
      },
    ];
  } finally {
    await bench.close();
    await rm(home, { recursive: true, force: true });
  }
}

interface Sample {
  eventId: string;
  /** Wall clock (the journey's records are), when the request was due and when it was answered. */
  sentAt: number;
  answeredAt: number;
}

interface Journey {
  accepted: { at: string };
  stored: { at?: string };
  placed: { at?: string };
  projections: { projection: string; at?: string }[];
}

/**
 * Where a deposit's time goes, from the events' journeys (the platform's own records):
 * request → decided, decided → stored, stored → placed in the feed, placed → applied by
 * each view, last view → the answer. Read once the apply log has been written.
 */
async function whereTimeGoes(samples: Sample[], read: (eventId: string) => Response | Promise<Response>) {
  await new Promise((resolve) => setTimeout(resolve, 3500));
  const spans = new Map<string, number[]>();
  const add = (name: string, from: string | number | undefined, to: string | number | undefined) => {
    if (from === undefined || to === undefined) return;
    const ms = (typeof to === 'string' ? Date.parse(to) : to) - (typeof from === 'string' ? Date.parse(from) : from);
    spans.set(name, [...(spans.get(name) ?? []), ms]);
  };
  let events = 0;
  for (const sample of samples) {
    const response = await read(sample.eventId);
    if (response.status !== 200) continue;
    const journey = (await response.json()) as Journey;
    events++;
    add('request→decided', sample.sentAt, journey.accepted.at);
    add('append', journey.accepted.at, journey.stored.at);
    add('relay', journey.stored.at, journey.placed.at);
    for (const step of journey.projections) add(step.projection, journey.placed.at, step.at);
    const lastApplied = Math.max(...journey.projections.map((p) => (p.at ? Date.parse(p.at) : Number.NaN)));
    if (Number.isFinite(lastApplied)) add('→answer', lastApplied, sample.answeredAt);
  }
  const ms = Object.fromEntries([...spans].map(([name, values]) => [name, { p50: percentile(values, 50), p99: percentile(values, 99) }]));
  return { events, ms };
}
