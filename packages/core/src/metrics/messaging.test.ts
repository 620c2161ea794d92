import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContextStats } from '../runtime.ts';
import { observeLag } from './lag-gauges.ts';
import { consumerAttributes, followMeterProvider, recordProcessed } from './messaging.ts';

let exporter: InMemoryMetricExporter;
const held: unknown[] = [];
let reader: PeriodicExportingMetricReader;
let provider: MeterProvider;

beforeEach(() => {
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
});

afterEach(async () => {
  metrics.disable();
  await provider.shutdown();
});

async function collected(): Promise<Map<string, MetricData>> {
  await reader.forceFlush();
  const found = new Map<string, MetricData>();
  for (const batch of exporter.getMetrics()) {
    for (const scope of batch.scopeMetrics) {
      expect(scope.scope.name).toBe('eventloom');
      for (const metric of scope.metrics) found.set(metric.descriptor.name, metric);
    }
  }
  return found;
}

describe('messaging metrics', () => {
  it('records processing durations and consumed messages under the messaging conventions', async () => {
    const consumer = consumerAttributes('banking', 'balances', 2);
    recordProcessed(consumer, 'apply', 0.012, 7);
    recordProcessed(consumer, 'apply', 0.5, 3, 'Error');
    const found = await collected();

    const duration = found.get('messaging.process.duration')!;
    expect(duration.descriptor.unit).toBe('s');
    const points = duration.dataPoints as { attributes: Record<string, unknown>; value: { count: number } }[];
    expect(points.map((p) => p.attributes)).toEqual([
      {
        'messaging.system': 'eventloom',
        'messaging.destination.name': 'banking',
        'messaging.consumer.group.name': 'balances',
        'messaging.destination.partition.id': '2',
        'messaging.operation.name': 'apply',
        'messaging.operation.type': 'process',
      },
      expect.objectContaining({ 'messaging.operation.name': 'apply', 'error.type': 'Error' }),
    ]);
    expect(points.map((p) => p.value.count)).toEqual([1, 1]);

    const consumed = found.get('messaging.client.consumed.messages')!;
    expect(consumed.descriptor.unit).toBe('{message}');
    // A failed batch consumed nothing.
    expect(consumed.dataPoints.map((p) => p.value)).toEqual([7]);
  });

  it('observes projection and consumer lag from one reading per collection', async () => {
    let reads = 0;
    const stats: ContextStats[] = [
      {
        name: 'reporting',
        feedHead: 40,
        relayLag: 0,
        projections: [
          { name: 'daySummary', checkpoint: 30, lag: 10, lagSeconds: 42.5, stalled: true, state: 'live', deadLetters: 0, source: 'orders' },
          { name: 'alerts', checkpoint: 40, lag: 0, lagSeconds: 0, stalled: false, state: 'live', deadLetters: 0 },
        ],
      },
    ];
    const read = async () => {
      reads++;
      return { stats, consumers: [{ context: 'banking', consumer: 'sub-1', lag: 3, lagSeconds: 1.25 }] };
    };
    // observeLag holds `read` weakly, as the gateway's metrics would hold it strongly.
    held.push(read);
    const stop = observeLag(read);
    const found = await collected();
    expect(reads).toBe(1);

    const values = (name: string) => found.get(name)!.dataPoints.map((p) => [p.attributes['messaging.consumer.group.name'], p.value]);
    expect(values('eventloom.projection.lag')).toEqual([['daySummary', 10], ['alerts', 0]]);
    expect(values('eventloom.projection.lag.time')).toEqual([['daySummary', 42.5], ['alerts', 0]]);
    expect(values('eventloom.projection.stalled')).toEqual([['daySummary', 1], ['alerts', 0]]);
    expect(found.get('eventloom.projection.lag.time')!.descriptor.unit).toBe('s');
    expect(found.get('eventloom.projection.lag')!.dataPoints[0]!.attributes).toEqual({
      'messaging.system': 'eventloom',
      'messaging.destination.name': 'orders',
      'messaging.consumer.group.name': 'daySummary',
      'eventloom.context': 'reporting',
    });
    expect(values('eventloom.consumer.lag')).toEqual([['sub-1', 3]]);
    expect(values('eventloom.consumer.lag.time')).toEqual([['sub-1', 1.25]]);

    stop();
  });

  it('costs nothing and records nothing before an SDK is registered', () => {
    metrics.disable();
    expect(() => recordProcessed(consumerAttributes('banking', 'balances'), 'apply', 0.01, 1)).not.toThrow();
  });
});

describe('a meter provider registered after the observers', () => {
  it('moves the lag gauges onto it once the provider is followed', async () => {
    metrics.disable();
    const read = async () => ({ stats: [], consumers: [{ context: 'banking', consumer: 'late', lag: 2, lagSeconds: 0.5 }] });
    held.push(read);
    const stop = observeLag(read);
    metrics.setGlobalMeterProvider(provider);
    followMeterProvider();
    const found = await collected();
    expect(found.get('eventloom.consumer.lag')!.dataPoints.map((p) => p.value)).toEqual([2]);
    stop();
  });
});
