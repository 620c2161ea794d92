import type { BatchObservableCallback, Meter } from '@opentelemetry/api';
import type { ContextStats } from '../runtime.ts';
import { consumerAttributes, observe } from './messaging.ts';

/** One webhook subscription's standing in one context's feed. */
export interface ConsumerLag {
  context: string;
  consumer: string;
  /** Feed entries after its cursor (published or not). */
  lag: number;
  /** How long the oldest entry it has not been delivered has waited, in seconds. */
  lagSeconds: number;
}

export interface LagReading {
  stats: ContextStats[];
  consumers: ConsumerLag[];
}

/**
 * Observable gauges of lag, read at each collection from `read` (one stats computation
 * for all of them): per projection events and seconds behind and whether it has stalled,
 * per consumer events and seconds behind. The feed is the destination, the projection
 * (or subscription) the consumer group, the owning context `eventloom.context`.
 * Returns the function that stops observing. An SDK registered later is observed on once
 * anything is measured or `followMeterProvider()` runs (the gateway's /metrics does).
 */
export function observeLag(read: () => Promise<LagReading>): () => void {
  // Held weakly: the observers outlive no gateway (tests build many), only their caller keeps `read`.
  const held = new WeakRef(read);
  return observe((meter) => lagGauges(meter, () => held.deref()?.() ?? Promise.resolve({ stats: [], consumers: [] })));
}

function lagGauges(meter: Meter, read: () => Promise<LagReading>): () => void {
  const projectionLag = meter.createObservableGauge('eventloom.projection.lag', { unit: '{event}', description: 'Feed entries a projection has not applied yet' });
  const projectionLagTime = meter.createObservableGauge('eventloom.projection.lag.time', { unit: 's', description: 'How long the oldest entry a projection has not applied has waited' });
  const stalled = meter.createObservableGauge('eventloom.projection.stalled', { unit: '1', description: '1 when a projection is behind and has not moved for the stall threshold' });
  const consumerLag = meter.createObservableGauge('eventloom.consumer.lag', { unit: '{event}', description: 'Feed entries after a webhook subscription’s cursor' });
  const consumerLagTime = meter.createObservableGauge('eventloom.consumer.lag.time', { unit: 's', description: 'How long the oldest event not delivered to a webhook subscription has waited' });
  const observables = [projectionLag, projectionLagTime, stalled, consumerLag, consumerLagTime];
  const callback: BatchObservableCallback = async (result) => {
    const { stats, consumers } = await read();
    for (const context of stats) {
      for (const p of context.projections) {
        const attributes = { ...consumerAttributes(p.source ?? context.name, p.name), 'eventloom.context': context.name };
        result.observe(projectionLag, p.lag, attributes);
        result.observe(projectionLagTime, p.lagSeconds, attributes);
        result.observe(stalled, p.stalled ? 1 : 0, attributes);
      }
    }
    for (const c of consumers) {
      const attributes = consumerAttributes(c.context, c.consumer);
      result.observe(consumerLag, c.lag, attributes);
      result.observe(consumerLagTime, c.lagSeconds, attributes);
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
