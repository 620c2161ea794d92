import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { principal, startRuntime } from '../env.ts';
import type { Row, ScenarioContext } from '../report.ts';
import { closedLoop, interleaved, round } from '../util.ts';
import { childOf, currentTraceparent, parseTraceparent, withTrace } from '../../../../packages/core/src/tracing/trace-context.ts';
import { inSpan, serverSpan, setTracing, startTelemetry } from '../../../../packages/core/src/tracing/telemetry.ts';

const writers = 32;

/**
 * T. What tracing costs the command path (issue 15), 32 writers on 32 counters.
 *    off: the tracing a command does with OpenTelemetry off — the request's trace
 *         context, two pass-through spans, the `traceparent` its event records — timed on
 *         its own (CPU per command) and divided by the command path's CPU per command in
 *         this process: a share too small for throughput slices to resolve (±5 %).
 *    on:  commands with the OpenTelemetry SDK on (sampled, batch export over OTLP/HTTP to
 *         a sink on this machine), interleaved in slices with the same commands off:
 *         throughput on ÷ off.
 */
export async function tracingScenario(ctx: ScenarioContext): Promise<Row[]> {
  const rounds = ctx.quick ? 3 : 6;
  const sliceMs = ctx.quick ? 1500 : 2000;
  const sink = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
  });
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  // The SDK reads its configuration from process.env: set for this scenario, then restored.
  const settings = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
  const before = Object.fromEntries(Object.keys(settings).map((key) => [key, process.env[key]]));
  Object.assign(process.env, settings);
  const telemetry = await startTelemetry('eventloom-bench');
  const bench = await startRuntime(ctx.connectionString, ctx.prefix('t'), { workers: false });
  try {
    const commands = bench.runtime.context('counter');
    // As the gateway runs a command: in the request's trace context (a caller's, sampled).
    const caller = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const command = (w: number) => commands.execute('counter', 'increment', { id: `trace-${w}`, by: 1 }, { principal });
    const asRequest = (w: number) => serverSpan('POST', parseTraceparent(caller), {}, () => command(w));
    const variants = {
      off: async (w: number) => {
        setTracing(false);
        await withTrace(childOf(parseTraceparent(caller)), () => command(w));
      },
      on: async (w: number) => {
        setTracing(true);
        await asRequest(w);
      },
    };
    await closedLoop(writers, 500, variants.on);
    await closedLoop(writers, 500, variants.off);
    const r = await interleaved(rounds, sliceMs, writers, variants);
    setTracing(false);
    for (const [name, result] of Object.entries(r)) {
      ctx.log(`tracing ${name.padEnd(3)} ${round(result.rate, 0)}/s  rounds ${result.rounds.join(' ')}  (${result.ops} ops, ${result.errors} errors, ${round(result.cpuMsPerOp, 3)} ms CPU/op)`);
    }

    // The off path's own work per command, timed apart from storage.
    const hooks = async () => {
      await withTrace(childOf(parseTraceparent(caller)), async () => {
        await inSpan('decide', { 'eventloom.context': 'counter' }, async () => undefined);
        await inSpan('append', { 'eventloom.context': 'counter' }, () => currentTraceparent());
      });
    };
    const bare = async () => {
      await (async () => {
        await (async () => undefined)();
        await (async () => 'x')();
      })();
    };
    const timed = async (work: () => Promise<void>, n: number) => {
      const started = process.cpuUsage();
      for (let i = 0; i < n; i++) await work();
      const used = process.cpuUsage(started);
      return (used.user + used.system) / 1000 / n;
    };
    const n = ctx.quick ? 50_000 : 200_000;
    await timed(hooks, n / 10);
    await timed(bare, n / 10);
    const hookMs = Math.max(0, (await timed(hooks, n)) - (await timed(bare, n)));
    const offShare = hookMs / r.off.cpuMsPerOp;
    ctx.log(`tracing off: ${round(hookMs * 1000, 2)} µs CPU per command for trace context and spans; the command path ${round(r.off.cpuMsPerOp * 1000, 0)} µs CPU/op`);

    return [
      {
        id: 'tracing-off',
        scenario: `T. tracing off: CPU of its trace context per command ÷ the command path's CPU`,
        eventloom: { value: hookMs, unit: 'ms' },
        raw: { value: r.off.cpuMsPerOp, unit: 'ms', label: 'command CPU/op' },
        ratio: offShare,
        target: { op: '<=', value: 0.02 },
        details: { hookMs, commandCpuMsPerOp: r.off.cpuMsPerOp, iterations: n, note: 'share of the command path this process spends on tracing when OpenTelemetry is off' },
      },
      {
        id: 'tracing-on',
        scenario: `   tracing on (sampled, OTLP batch export): commands/s on ÷ off, ${writers} writers`,
        eventloom: { value: r.on.rate, unit: '/s' },
        raw: { value: r.off.rate, unit: '/s', label: 'tracing off' },
        ratio: r.on.rate / r.off.rate,
        target: { op: '>=', value: 0.9 },
        details: { on: r.on, off: r.off, rounds, sliceMs, writers, telemetry: telemetry.enabled },
      },
    ];
  } finally {
    setTracing(false);
    await bench.close();
    await telemetry.shutdown().catch(() => undefined);
    for (const [key, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    sink.close();
  }
}
