import { metrics, type Attributes, type Counter, type Histogram, type Meter, type MeterProvider } from '@opentelemetry/api';

/*
 * What the runtime measures through OpenTelemetry, named after the messaging semantic
 * conventions (https://opentelemetry.io/docs/specs/semconv/messaging/messaging-metrics/):
 * a context's feed is the destination, a projection or a webhook subscription the
 * consumer group. Only the API is used here: every instrument is a no-op until the
 * process registers an SDK MeterProvider (from the OTEL_* variables).
 */

export const meterName = 'eventloom';
export const messagingSystem = 'eventloom';

/** The conventions' advised buckets for messaging durations (seconds). */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** How one consumer of a feed is named on every messaging metric. */
export function consumerAttributes(feed: string, consumer: string, partition?: number): Attributes {
  return {
    'messaging.system': messagingSystem,
    'messaging.destination.name': feed,
    'messaging.consumer.group.name': consumer,
    ...(partition !== undefined ? { 'messaging.destination.partition.id': String(partition) } : {}),
  };
}

/** The operations measured: a projection applying entries to its views, a webhook delivering one. */
export type ProcessOperation = 'apply' | 'deliver';

interface Instruments {
  provider: MeterProvider;
  meter: Meter;
  processDuration: Histogram;
  consumed: Counter;
}

let instruments: Instruments | undefined;

/** Something observed at collection time: registers its observable instruments on a meter, returns how to remove them. */
export type Observer = (meter: Meter) => () => void;
const observers = new Map<Observer, () => void>();

/**
 * The instruments of the meter provider registered now. The API has no proxy: a provider
 * registered later (an SDK set up after the gateway) gets new instruments, and the
 * observers are moved onto it, at the next use.
 */
function current(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider !== provider) {
    const meter = provider.getMeter(meterName);
    instruments = {
      meter,
      provider,
      processDuration: meter.createHistogram('messaging.process.duration', {
        unit: 's',
        description: 'Duration of processing operation',
        advice: { explicitBucketBoundaries: durationBuckets },
      }),
      consumed: meter.createCounter('messaging.client.consumed.messages', {
        unit: '{message}',
        description: 'Number of messages that were delivered to the application',
      }),
    };
    for (const [observer, remove] of observers) {
      remove();
      observers.set(observer, observer(meter));
    }
  }
  return instruments;
}

/** Moves the instruments and observers onto the meter provider registered now, if it changed. */
export function followMeterProvider(): void {
  current();
}

/** Observes from now on, on whichever provider is registered; returns the function that stops. */
export function observe(observer: Observer): () => void {
  observers.set(observer, observer(current().meter));
  return () => {
    observers.get(observer)?.();
    observers.delete(observer);
  };
}

/**
 * One processing operation of a consumer: a projection's batch (`messages` entries
 * applied) or one webhook delivery. A failed one carries `error.type`, and its messages
 * are not counted as consumed.
 */
export function recordProcessed(consumer: Attributes, operation: ProcessOperation, seconds: number, messages: number, errorType?: string): void {
  const { processDuration, consumed } = current();
  const attributes = { ...consumer, 'messaging.operation.name': operation, 'messaging.operation.type': 'process' };
  processDuration.record(seconds, errorType ? { ...attributes, 'error.type': errorType } : attributes);
  if (!errorType && messages > 0) consumed.add(messages, attributes);
}
