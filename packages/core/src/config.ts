import { z } from 'zod';

/** Azurite's published development account; not a secret. */
export const azuriteDevelopmentKey =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(blobPort = 10000, tablePort = 10002, host = '127.0.0.1'): string {
  return [
    'DefaultEndpointsProtocol=http',
    'AccountName=devstoreaccount1',
    `AccountKey=${azuriteDevelopmentKey}`,
    `BlobEndpoint=http://${host}:${blobPort}/devstoreaccount1`,
    `TableEndpoint=http://${host}:${tablePort}/devstoreaccount1`,
  ].join(';') + ';';
}

const schema = z.object({
  AZURE_STORAGE_CONNECTION_STRING: z
    .string()
    .min(1)
    .default(azuriteConnectionString())
    .refine((s) => /AccountName=|UseDevelopmentStorage=true/.test(s), 'must be an Azure Storage connection string (AccountName=...;AccountKey=...)'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must look like redis://host:port').default('redis://127.0.0.1:6379'),
  /** Prefix for every table and container name, so tests and apps can share one account. */
  EVENTLOOM_PREFIX: z.string().regex(/^[a-z][a-z0-9]{0,15}$/, 'must be 1-16 lower-case letters or digits').default('el'),
  /** Waiting work a projection has not applied for this long marks it stalled (stats, /metrics, the admin page). */
  EVENTLOOM_STALL_AFTER_SECONDS: z.coerce.number().positive('must be a number of seconds above 0').max(3600).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type CoreConfig = z.infer<typeof schema>;

/** Reads and validates the environment once; the message names what to set. */
export function loadCoreConfig(env: NodeJS.ProcessEnv = process.env): CoreConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Eventloom configuration is invalid; set these environment variables:\n${lines.join('\n')}`);
  }
  return result.data;
}
