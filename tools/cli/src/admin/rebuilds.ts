/**
 * The gateway's admin API as `./eventloom rebuild` uses it, through the typed
 * client: refusals arrive as ProblemErrors, the token rides on the client.
 */
import { body, GatewayUnreachable, openStream, type components, type GatewayClient, type ServerEvent } from '@eventloom/client';
import type { Credentials } from './accounts.ts';

/** A rebuild record as `/api/admin` returns it: the core's record and its context. */
export type Rebuild = components['schemas']['Rebuild'];

export type RebuildTarget = { context?: string; projection?: string };

/** Signs in as an admin account; any other role cannot rebuild. */
export async function signInAdmin(client: GatewayClient, { username, password }: Credentials): Promise<void> {
  const principal = await reachable(client, client.signIn(username, password));
  if (principal.role !== 'admin') throw new Error(`${username} is ${principal.role}, not admin: rebuilds need an admin account (--user)`);
}

export async function overview(client: GatewayClient) {
  return body(client.api.GET('/api/admin/projections'));
}

export async function startRebuilds(client: GatewayClient, target: RebuildTarget): Promise<Rebuild[]> {
  return (await body(client.api.POST('/api/admin/rebuilds', { body: target }))).rebuilds;
}

export async function cancelRebuild(client: GatewayClient, context: string, projection: string): Promise<Rebuild> {
  return body(client.api.DELETE('/api/admin/rebuilds/{context}/{projection}', { params: { path: { context, projection } } }));
}

export async function rebuildStatus(client: GatewayClient, context: string, projection: string): Promise<Rebuild> {
  return body(client.api.GET('/api/admin/rebuilds/{context}/{projection}', { params: { path: { context, projection } } }));
}

/** The admin live stream: resolves once subscribed (after `event: ready`). */
export async function adminLive(client: GatewayClient, signal: AbortSignal): Promise<AsyncGenerator<ServerEvent>> {
  const events = await openStream(client, '/api/admin/live', { signal });
  // Not `for await … break`: that would close the generator.
  for (let next = await events.next(); next.value?.event !== 'ready'; next = await events.next()) {
    if (next.done) throw new Error(`the gateway at ${client.baseUrl} closed its admin stream at once`);
  }
  return events;
}

/** An unreachable gateway is most often one not started yet: say how to start it or point elsewhere. */
async function reachable<T>(client: GatewayClient, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof GatewayUnreachable)) throw error;
    throw new Error(`cannot reach the gateway at ${client.baseUrl} (is \`./eventloom up\` running? --gateway sets another URL)`, { cause: error });
  }
}
