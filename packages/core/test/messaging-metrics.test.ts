import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Closer, config, counterRuntime, owner } from './helpers.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());
afterAll(() => closer.closeAll());

describe('messaging metrics of a running projection', () => {
  it('records each applied batch as messaging.process.duration and its events as consumed messages, named by feed and projection', { timeout: 30_000 }, async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    closer.defer(async () => {
      metrics.disable();
      await provider.shutdown();
    });
    const runtime = closer.add(await counterRuntime(config('otelm')));
    const context = runtime.context('counter');
    for (let i = 0; i < 3; i++) {
      const accepted = await context.execute('counter', 'increment', { id: `m${i}`, by: 1 }, { principal: owner });
      expect(await context.waitForViews(accepted, 10_000)).toBe(true);
    }
    await reader.forceFlush();
    const found = new Map(exporter.getMetrics().flatMap((batch) => batch.scopeMetrics.flatMap((scope) => scope.metrics.map((m) => [m.descriptor.name, m] as const))));
    const attributes = {
      'messaging.system': 'eventloom',
      'messaging.destination.name': 'counter',
      'messaging.consumer.group.name': 'counters',
      'messaging.operation.name': 'apply',
      'messaging.operation.type': 'process',
      'eventloom.context': 'counter',
    };
    const consumed = found.get('messaging.client.consumed.messages')!.dataPoints;
    expect(consumed.map((p) => p.attributes)).toEqual([attributes]);
    expect(consumed[0]!.value).toBe(3);
    const duration = found.get('messaging.process.duration')!.dataPoints as { attributes: unknown; value: { count: number; sum: number } }[];
    expect(duration.map((p) => p.attributes)).toEqual([attributes]);
    expect(duration[0]!.value.count).toBeGreaterThanOrEqual(1);
    expect(duration[0]!.value.sum).toBeGreaterThan(0);
  });
});
