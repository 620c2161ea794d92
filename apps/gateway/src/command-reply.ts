import type { CommandAccepted, ContextRuntime } from '@eventloom/core';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';

/** Longest `Prefer: wait=N` honoured, in seconds. */
export const maxWaitSeconds = 30;

export const commandReplySchema = z
  .object({
    commandId: z.string(),
    status: z.enum(['accepted', 'applied']),
    statusUrl: z.string(),
    duplicate: z.boolean(),
    events: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        stream: z.string(),
        version: z.number(),
        occurredAt: z.string(),
        data: z.unknown(),
      }),
    ),
  })
  .openapi('CommandReply');

export type CommandReply = z.infer<typeof commandReplySchema>;

/** `Prefer: wait=5` (RFC 7240), possibly among other preferences → 5, capped at 30. */
export function preferredWait(prefer: string | undefined): number | undefined {
  const match = prefer && /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(prefer);
  if (!match?.[1]) return undefined;
  return Math.min(Number(match[1]), maxWaitSeconds);
}

/**
 * Answers a command route: 202 with a status link, or, when the caller sent
 * `Prefer: wait=N`, holds the reply until the context's views show the command's
 * events (200, `status: applied`, read-your-writes) or N seconds pass (202).
 *
 * Belongs in core's http module next to defineRoute; it lives here until it moves.
 */
export async function answerCommand(c: Context, runtime: ContextRuntime, accepted: CommandAccepted): Promise<Response> {
  const statusUrl = `/api/${runtime.name}/commands/${encodeURIComponent(accepted.commandId)}`;
  const reply = (status: CommandReply['status']): CommandReply => ({
    commandId: accepted.commandId,
    status,
    statusUrl,
    duplicate: accepted.duplicate,
    events: accepted.events.map(({ id, type, stream, version, occurredAt, data }) => ({
      id,
      type,
      stream,
      version,
      occurredAt,
      data,
    })),
  });
  c.header('Location', statusUrl);
  const wait = preferredWait(c.req.header('prefer'));
  if (wait !== undefined && wait > 0) {
    const applied = await runtime.waitForViews(accepted, wait * 1000);
    if (applied) {
      c.header('Preference-Applied', `wait=${wait}`);
      return c.json(reply('applied'), 200);
    }
  }
  return c.json(reply('accepted'), 202);
}
