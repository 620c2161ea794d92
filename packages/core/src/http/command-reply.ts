import type { Context } from 'hono';
import type { CommandAccepted, ContextRuntime } from '../context/context-runtime.ts';
import type { AppEnv } from './routes.ts';

/** Longest wait a client may ask for with `Prefer: wait=N`. */
const maxWaitSeconds = 30;

export interface CommandReply {
  commandId: string;
  status: 'accepted' | 'applied';
  statusUrl: string;
  stream: string;
  duplicate: boolean;
  events: { id: string; type: string; version: number; occurredAt: string; data: unknown }[];
}

/** Seconds asked for in `Prefer: wait=N`, if any (RFC 7240). */
export function preferredWait(header: string | undefined): number | undefined {
  const match = header?.match(/(?:^|[,;\s])wait\s*=\s*(\d+)/i);
  return match ? Math.min(Number(match[1]), maxWaitSeconds) : undefined;
}

/**
 * Answers a command: `202 Accepted` with a status link, or, when the client sent
 * `Prefer: wait=N`, `200` once the command's events are in every view of the context
 * (read-your-writes), falling back to 202 when the wait runs out.
 */
export async function answerCommand(c: Context<AppEnv>, runtime: ContextRuntime, accepted: CommandAccepted, extra: Record<string, unknown> = {}) {
  const statusUrl = `/api/${runtime.name}/commands/${accepted.commandId}`;
  const body: CommandReply & Record<string, unknown> = {
    commandId: accepted.commandId,
    status: 'accepted',
    statusUrl,
    stream: accepted.stream,
    duplicate: accepted.duplicate,
    events: accepted.events.map((e) => ({ id: e.id, type: e.type, version: e.version, occurredAt: e.occurredAt, data: e.data })),
    ...extra,
  };
  c.header('Location', statusUrl);
  const wait = preferredWait(c.req.header('Prefer'));
  if (wait !== undefined && wait > 0) {
    c.header('Preference-Applied', `wait=${wait}`);
    if (await runtime.waitForViews(accepted, wait * 1000)) return c.json({ ...body, status: 'applied' as const }, 200);
  }
  return c.json(body, 202);
}
