import { z } from '@hono/zod-openapi';

/** An event's journey as the API shows it (see event-journey.ts), for a context's `/events/{eventId}/journey`. */
export const EventJourneySchema = z
  .object({
    eventId: z.string(),
    context: z.string(),
    type: z.string(),
    stream: z.string(),
    version: z.number().int(),
    traceparent: z.string().optional().openapi({ description: 'W3C traceparent recorded with the event' }),
    traceId: z.string().optional(),
    accepted: z.object({ at: z.string() }).openapi({ description: 'When the command was decided (the event occurred)' }),
    stored: z.object({ at: z.string().optional() }).openapi({ description: "The event row's commit time in the store" }),
    placed: z
      .union([z.object({ state: z.literal('placed'), seq: z.number().int(), at: z.string().optional() }), z.object({ state: z.literal('pending') })])
      .openapi({ description: 'Placement in the feed: its seq and the relay’s time' }),
    projections: z.array(
      z.object({
        projection: z.string(),
        runner: z.string(),
        generation: z.number().int(),
        state: z.enum(['applied', 'pending', 'parked', 'skipped']),
        at: z.string().optional().openapi({ description: 'Absent for an application older than the apply log keeps, or made by a rebuild' }),
        error: z.string().optional(),
      }),
    ),
    deliveries: z.array(
      z.object({
        subscription: z.string(),
        kind: z.literal('webhook'),
        url: z.string(),
        state: z.enum(['delivered', 'pending', 'failing']),
        at: z.string().optional(),
        attempts: z.number().int(),
        status: z.number().int().optional(),
        error: z.string().optional(),
      }),
    ),
  })
  .openapi('EventJourney');
