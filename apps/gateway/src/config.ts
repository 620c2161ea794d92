import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { AdmissionSettings } from './admission.ts';
import type { QuotaSettings } from './quotas.ts';

/** `<repo>/.eventloom`: keys, local accounts and other machine-local state (git-ignored). */
export const defaultHome = fileURLToPath(new URL('../../../.eventloom', import.meta.url));

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** `/health` and `/health/live` on a port and thread of their own (health-port.ts); off when unset, 0 = any free port. */
  EVENTLOOM_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  EVENTLOOM_HOME: z.string().min(1).default(defaultHome),
  /** Largest request body in bytes (413 above it). */
  BODY_LIMIT: z.coerce.number().int().min(1024, 'must be at least 1024 bytes').default(64 * 1024),
  EVENTLOOM_MODE: z.enum(['single-process', 'redis']).optional(),
  /** `separate`: relays and projections run in `worker.ts`, not in the gateway process. */
  EVENTLOOM_WORKERS: z.enum(['in-process', 'separate']).default('in-process'),
  /** `public`: webhooks only to public addresses; `any`: also loopback and private ones (local development). */
  EVENTLOOM_WEBHOOK_TARGETS: z.enum(['public', 'any'], { error: 'must be "public" or "any"' }).default('public'),
  /** Admission control (503 with Retry-After beyond it); defaults in admission.ts. */
  EVENTLOOM_MAX_IN_FLIGHT: z.coerce.number().int().min(1).optional(),
  EVENTLOOM_MAX_QUEUED: z.coerce.number().int().min(0).optional(),
  EVENTLOOM_MAX_QUEUE_MS: z.coerce.number().int().min(1).optional(),
  /** Quotas (429 with Retry-After beyond them); defaults in quotas.ts. */
  EVENTLOOM_QUOTA_SIGNIN_FAILURES: z.coerce.number().int().min(1).optional(),
  EVENTLOOM_QUOTA_SIGNIN_PER_ADDRESS: z.coerce.number().int().min(1).optional(),
  EVENTLOOM_QUOTA_SIGNIN_WINDOW_SECONDS: z.coerce.number().int().min(1).optional(),
  EVENTLOOM_QUOTA_STREAMS_PER_PRINCIPAL: z.coerce.number().int().min(1).optional(),
  EVENTLOOM_QUOTA_STREAMS_TOTAL: z.coerce.number().int().min(1).optional(),
  EVENTLOOM_QUOTA_WEBHOOKS_PER_OWNER: z.coerce.number().int().min(1).optional(),
});

export type GatewayConfig = z.infer<typeof schema>;

/** Reads and validates the environment once; the message names what to set. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Gateway configuration is invalid; set these environment variables:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Relays and projections run here unless a separate worker process runs them. */
export function runsWorkers(config: GatewayConfig): boolean {
  return config.EVENTLOOM_MODE === 'single-process' || config.EVENTLOOM_WORKERS !== 'separate';
}

/** The admission limits the environment sets; the rest keep their defaults. */
export function admissionSettings(config: GatewayConfig): Partial<AdmissionSettings> {
  return definedOnly({ maxInFlight: config.EVENTLOOM_MAX_IN_FLIGHT, maxQueued: config.EVENTLOOM_MAX_QUEUED, maxQueueMs: config.EVENTLOOM_MAX_QUEUE_MS });
}

const definedOnly = <T extends object>(settings: { [K in keyof T]: T[K] | undefined }): Partial<T> =>
  Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)) as Partial<T>;

/** The quotas the environment sets; the rest keep their defaults. */
export function quotaSettings(config: GatewayConfig): Partial<QuotaSettings> {
  const set = {
    signInFailuresPerAccount: config.EVENTLOOM_QUOTA_SIGNIN_FAILURES,
    signInAttemptsPerAddress: config.EVENTLOOM_QUOTA_SIGNIN_PER_ADDRESS,
    signInWindowSeconds: config.EVENTLOOM_QUOTA_SIGNIN_WINDOW_SECONDS,
    streamsPerPrincipal: config.EVENTLOOM_QUOTA_STREAMS_PER_PRINCIPAL,
    streamsTotal: config.EVENTLOOM_QUOTA_STREAMS_TOTAL,
    webhooksPerOwner: config.EVENTLOOM_QUOTA_WEBHOOKS_PER_OWNER,
  };
  return definedOnly<QuotaSettings>(set);
}
