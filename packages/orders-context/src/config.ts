import { parseEventHubConnectionString } from '@azure/event-hubs';
import { z } from 'zod';
import { defaultCatalogSeed, defaultMovieCount } from './catalog/generate.ts';

/** An unset variable and an empty one both mean "not set". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** The hub named in the connection string (`EntityPath=`), if any; undefined for a string that does not parse. */
function entityPathOf(connectionString: string): string | undefined {
  try {
    return parseEventHubConnectionString(connectionString).eventHubName;
  } catch {
    return undefined;
  }
}

const schema = z.object({
  /** The demo catalog's seed number: the same number gives the same movies everywhere. */
  ORDERS_CATALOG_SEED: z.coerce.number().int().min(0).max(2 ** 31).default(defaultCatalogSeed),
  ORDERS_CATALOG_MOVIES: z.coerce.number().int().min(1).max(5_000).default(defaultMovieCount),
  /** How often the category change watcher compares the Categories table (ms). */
  ORDERS_CACHE_WATCH_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /** How long a cached category lives at most, even if no invalidation reaches it (s). */
  ORDERS_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Demo orders over the past week, stored once with the catalog (`./eventloom up` sets 1000; 0 = none). */
  ORDERS_DEMO_ORDERS: z.coerce.number().int().min(0).max(100_000).default(0),
  /** Orders from Azure Event Hubs (off when unset): a namespace's or a hub's connection string. */
  ORDERS_EVENTHUB_CONNECTION_STRING: optional(
    z.string().refine((s) => {
      try {
        parseEventHubConnectionString(s);
        return true;
      } catch {
        return false;
      }
    }, 'must be an Event Hubs connection string (Endpoint=sb://….servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…)'),
  ),
  /** The hub; may be left out when the connection string names it (`EntityPath=`). */
  ORDERS_EVENTHUB_NAME: optional(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/, 'must be an event hub name (letters, digits, . _ -)')),
  ORDERS_EVENTHUB_CONSUMER_GROUP: z.string().min(1).max(256).default('$Default'),
  /** Where a partition with no checkpoint yet starts: its oldest retained event, or only what arrives from now. */
  ORDERS_EVENTHUB_START: z.enum(['earliest', 'latest'], { error: 'must be "earliest" or "latest"' }).default('earliest'),
  /** Most events per partition handed over, validated and stored at once (and then checkpointed). */
  ORDERS_EVENTHUB_BATCH: z.coerce.number().int().min(1).max(1_000).default(100),
}).superRefine((config, context) => {
  if (!config.ORDERS_EVENTHUB_CONNECTION_STRING) return;
  const entityPath = entityPathOf(config.ORDERS_EVENTHUB_CONNECTION_STRING);
  if (!entityPath && !config.ORDERS_EVENTHUB_NAME) {
    context.addIssue({ code: 'custom', path: ['ORDERS_EVENTHUB_NAME'], message: 'the event hub to read orders from (or EntityPath= in ORDERS_EVENTHUB_CONNECTION_STRING)' });
  } else if (entityPath && config.ORDERS_EVENTHUB_NAME && entityPath !== config.ORDERS_EVENTHUB_NAME) {
    context.addIssue({ code: 'custom', path: ['ORDERS_EVENTHUB_NAME'], message: `the connection string names the hub ${entityPath}; leave this unset or make them agree` });
  }
});

export type OrdersConfig = z.infer<typeof schema>;

/** Reads the orders context's settings once; the message says what to set. */
export function loadOrdersConfig(env: NodeJS.ProcessEnv = process.env): OrdersConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Orders context configuration is invalid; set these environment variables:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Where the Event Hubs source reads from; undefined when it is off. */
export interface EventHubSettings {
  connectionString: string;
  /** Undefined when the connection string names the hub. */
  eventHubName?: string;
  consumerGroup: string;
  startPosition: 'earliest' | 'latest';
  batchSize: number;
}

export function eventHubSettings(config: OrdersConfig): EventHubSettings | undefined {
  if (!config.ORDERS_EVENTHUB_CONNECTION_STRING) return undefined;
  return {
    connectionString: config.ORDERS_EVENTHUB_CONNECTION_STRING,
    ...(config.ORDERS_EVENTHUB_NAME ? { eventHubName: config.ORDERS_EVENTHUB_NAME } : {}),
    consumerGroup: config.ORDERS_EVENTHUB_CONSUMER_GROUP,
    startPosition: config.ORDERS_EVENTHUB_START,
    batchSize: config.ORDERS_EVENTHUB_BATCH,
  };
}
