import { createLogger, createRuntime, loadCoreConfig, startTelemetry } from '@eventloom/core';
import { eventHubSettings, loadOrdersConfig, startEventHubOrderSource } from '@eventloom/orders-context/event-hubs';
import { startWebhookDelivery } from './consumers/index.ts';
import { contexts } from './host.ts';
import { seedEmptyStores } from './seed.ts';

/** Runs relays and projections without HTTP (for EVENTLOOM_WORKERS=separate). */
const coreConfig = loadCoreConfig();
const eventHub = eventHubSettings(loadOrdersConfig());
const logger = createLogger(coreConfig.LOG_LEVEL, 'worker');
const telemetry = await startTelemetry('eventloom-worker');
const runtime = await createRuntime({ contexts, config: coreConfig, logger, workers: true });
const webhooks = await startWebhookDelivery(runtime, contexts, logger);
logger.info({ contexts: contexts.map((c) => c.name), mode: runtime.mode }, 'workers running');

await seedEmptyStores(runtime, logger);
// Orders from Event Hubs when ORDERS_EVENTHUB_CONNECTION_STRING is set (the SDK shares the
// hub's partitions among the workers), once the catalog the orders name is there.
const orderSource = await startEventHubOrderSource(runtime, logger, eventHub);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'workers stopping');
  await orderSource?.close();
  await webhooks.stop();
  await runtime.close();
  await telemetry.shutdown().catch(() => undefined);
  logger.info('workers stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
