/** OpenTelemetry metrics of the runtime and its consumers (the API only; an SDK makes them real). */
export { consumerAttributes, followMeterProvider, meterName, messagingSystem, observe, recordProcessed, type Observer, type ProcessOperation } from './messaging.ts';
export { observeLag, type ConsumerLag, type LagReading } from './lag-gauges.ts';
