import type { AddressInfo } from 'node:net';
import { createLogger, createRuntime, loadCoreConfig, startTelemetry } from '@eventloom/core';
import { eventHubSettings, loadOrdersConfig, startEventHubOrderSource, type EventHubOrderSource } from '@eventloom/orders-context/event-hubs';
import { createGateway } from './app.ts';
import { loadAuth } from './auth/auth.ts';
import { admissionSettings, loadGatewayConfig, quotaSettings, runsWorkers } from './config.ts';
import { startWebhookDelivery } from './consumers/index.ts';
import { contexts } from './host.ts';
import { HealthProbe } from './health.ts';
import { startHealthPort } from './health-port.ts';
import { gatewayServer } from './http-server.ts';
import { seedEmptyStores } from './seed.ts';

const config = loadGatewayConfig();
const coreConfig = loadCoreConfig();
const eventHub = eventHubSettings(loadOrdersConfig());
const logger = createLogger(coreConfig.LOG_LEVEL, 'gateway');
// OpenTelemetry when OTEL_* asks for it (an exporter or an OTLP endpoint); off otherwise.
const telemetry = await startTelemetry('eventloom-gateway');
if (telemetry.enabled) logger.info('OpenTelemetry on (OTEL_* environment)');

const workers = runsWorkers(config);
const [runtime, auth] = await Promise.all([
  createRuntime({ contexts, config: coreConfig, logger, workers }),
  loadAuth(config.EVENTLOOM_HOME),
]);

// Webhook deliveries run where the relays and projections run.
const webhooks = workers ? await startWebhookDelivery(runtime, contexts, logger, { targets: config.EVENTLOOM_WEBHOOK_TARGETS }) : undefined;
// So does the Event Hubs order source (ORDERS_EVENTHUB_CONNECTION_STRING), once the catalog is seeded.
let orderSource: EventHubOrderSource | undefined;
const probe = new HealthProbe(runtime);
const app = createGateway({ runtime, contexts, auth, logger, bodyLimit: config.BODY_LIMIT, webhookTargets: config.EVENTLOOM_WEBHOOK_TARGETS, quotas: quotaSettings(config), admission: admissionSettings(config), health: probe });
const healthPort = config.EVENTLOOM_HEALTH_PORT === undefined ? undefined : await startHealthPort(probe, { port: config.EVENTLOOM_HEALTH_PORT, host: config.HOST });
if (healthPort) logger.info({ url: `http://${config.HOST}:${healthPort.port}/health` }, 'health listening');

const server = gatewayServer(app.fetch);
server.listen(config.PORT, config.HOST, () => {
  const { port } = server.address() as AddressInfo;
  logger.info({ url: `http://${config.HOST}:${port}`, contexts: contexts.map((c) => c.name), mode: runtime.mode, workers }, 'gateway listening');
  // Seeding runs behind the listening server, so /health answers while it works.
  if (!workers) return;
  void seedEmptyStores(runtime, logger)
    .then(async () => (orderSource = stopping ? undefined : await startEventHubOrderSource(runtime, logger, eventHub)))
    .catch((error: unknown) => logger.error({ err: error }, 'the Event Hubs order source did not start'));
});

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'gateway stopping');
  // Open SSE streams would hold close() forever; end them.
  const forced = setTimeout(() => server.closeAllConnections(), 5_000);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  clearTimeout(forced);
  await healthPort?.close();
  await orderSource?.close();
  await webhooks?.stop();
  await runtime.close();
  await telemetry.shutdown().catch(() => undefined);
  logger.info('gateway stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
