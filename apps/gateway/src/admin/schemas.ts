import { z } from '@hono/zod-openapi';

/** What the admin API says about projections, rebuilds and dead letters. */

export const json = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
});

export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: z.object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string().optional() }).passthrough() } },
});

export const Rebuild = z
  .object({
    context: z.string(),
    id: z.string(),
    projection: z.string(),
    state: z.enum(['requested', 'running', 'cancel-requested', 'cancelled', 'done', 'failed']),
    requestedBy: z.string(),
    requestedAt: z.string(),
    generation: z.number().int().optional(),
    done: z.number().int().optional(),
    total: z.number().int().optional(),
    eventsPerSecond: z.number().optional(),
    etaSeconds: z.number().optional(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    error: z.string().optional(),
  })
  .openapi('Rebuild');

export const ProjectionState = z
  .enum(['live', 'catching-up', 'rebuilding', 'failed', 'stalled', 'standby'])
  .openapi('ProjectionState', { description: 'stalled: behind, and its checkpoint has not moved while entries waited for the stall threshold (EVENTLOOM_STALL_AFTER_SECONDS, default 30 s)' });

export const Projection = z
  .object({
    context: z.string(),
    name: z.string(),
    /** The context whose feed it reads, when not its own. */
    source: z.string(),
    checkpoint: z.number().int(),
    lag: z.number().int(),
    lagSeconds: z.number().openapi({ description: 'How long the oldest entry it has not applied has waited, in seconds (0 when caught up)' }),
    stalled: z.boolean().openapi({ description: 'Behind, and not moving for the stall threshold: an alert (also while it rebuilds or fails)' }),
    eventsPerSecond: z.number(),
    state: ProjectionState,
    generation: z.number().int(),
    deadLetters: z.number().int(),
    // Not Rebuild.nullable(): that makes the Rebuild component itself nullable, and every route answering one with it.
    rebuild: z.union([Rebuild, z.null()]),
    error: z.string().optional().openapi({ description: 'The last error of its worker, while it keeps failing' }),
    worker: z.string().optional().openapi({ description: 'The worker process that holds it (host:pid:id, or single-process)' }),
    partitions: z
      .array(
        z.object({
          partition: z.number().int(),
          checkpoint: z.number().int(),
          lag: z.number().int(),
          lagSeconds: z.number(),
          stalled: z.boolean(),
          state: z.enum(['live', 'catching-up', 'standby', 'failed']),
          deadLetters: z.number().int(),
          error: z.string().optional(),
          worker: z.string().optional(),
        }),
      )
      .optional()
      .openapi({ description: "A partitioned projection: each feed partition's runner, its checkpoint and lag in that partition's seqs (the fields above add them up)" }),
  })
  .openapi('ProjectionStatus');

export const ContextOverview = z
  .object({
    name: z.string(),
    title: z.string(),
    feedHead: z.number().int(),
    relayLagMs: z.number(),
    relayWorker: z.string().optional().openapi({ description: 'The worker process that holds the relay (of partition 0, when the feed is partitioned)' }),
    partitions: z
      .array(
        z.object({
          partition: z.number().int(),
          head: z.number().int().openapi({ description: "The partition's own seq (the feed's seqs are the merged order's)" }),
          lagMs: z.number(),
          worker: z.string().optional(),
        }),
      )
      .optional()
      .openapi({ description: "A partitioned feed: each partition's relay" }),
    mergerWorker: z.string().optional().openapi({ description: "The worker process that holds a partitioned feed's merger" }),
    projections: z.array(Projection),
  })
  .openapi('ContextProjections');

export const Overview = z
  .object({
    at: z.string().openapi({ description: 'When these figures were sampled' }),
    contexts: z.array(ContextOverview),
  })
  .openapi('ProjectionsOverview');

export const DeadLetter = z
  .object({
    context: z.string(),
    projection: z.string(),
    seq: z.number().int(),
    eventId: z.string(),
    type: z.string(),
    stream: z.string(),
    error: z.string(),
    at: z.string(),
    state: z.enum(['parked', 'retry-requested', 'retried', 'skipped', 'superseded']),
    generation: z.number().int().optional().openapi({ description: 'The view generation that parked it; a rebuild supersedes the letters of older ones.' }),
    attempts: z.number().int(),
  })
  .openapi('DeadLetter');

export type RebuildView = z.infer<typeof Rebuild>;
export type ProjectionView = z.infer<typeof Projection>;
export type OverviewView = z.infer<typeof Overview>;
export type DeadLetterView = z.infer<typeof DeadLetter>;
