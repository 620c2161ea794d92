import type { RebuildRecord } from '@eventloom/core';
import type { Credentials } from './accounts.ts';
import { serverEvents, type ServerEvent } from './sse.ts';

/** A rebuild record as `/api/admin` returns it: the core's record and its context. */
export type Rebuild = RebuildRecord & { context: string };

export interface ProjectionStatus {
  context: string;
  name: string;
  state: string;
  rebuild: Rebuild | null;
}

export interface Overview {
  contexts: { name: string; projections: ProjectionStatus[] }[];
}

/** A refusal from the gateway, carrying its RFC 7807 problem. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly problem: { title?: string; detail?: string; [key: string]: unknown };

  constructor(status: number, problem: ApiProblem['problem']) {
    super(problem.detail ?? problem.title ?? `the gateway answered ${status}`);
    this.name = 'ApiProblem';
    this.status = status;
    this.problem = problem;
  }
}

/** The gateway's admin API, signed in as one account. */
export class AdminApi {
  readonly gateway: string;
  private token = '';

  constructor(gateway: string) {
    this.gateway = gateway.replace(/\/+$/, '');
  }

  async signIn({ username, password }: Credentials): Promise<void> {
    const { token, principal } = await this.call<{ token: string; principal: { role: string } }>('POST', '/auth/token', { username, password });
    if (principal.role !== 'admin') throw new Error(`${username} is ${principal.role}, not admin: rebuilds need an admin account (--user)`);
    this.token = token;
  }

  overview(): Promise<Overview> {
    return this.call('GET', '/api/admin/projections');
  }

  async start(target: { context?: string; projection?: string }): Promise<Rebuild[]> {
    return (await this.call<{ rebuilds: Rebuild[] }>('POST', '/api/admin/rebuilds', target)).rebuilds;
  }

  cancel(context: string, projection: string): Promise<Rebuild> {
    return this.call('DELETE', `/api/admin/rebuilds/${context}/${projection}`);
  }

  status(context: string, projection: string): Promise<Rebuild> {
    return this.call('GET', `/api/admin/rebuilds/${context}/${projection}`);
  }

  /** The admin live stream: resolves once subscribed (after `event: ready`). */
  async live(signal: AbortSignal): Promise<AsyncGenerator<ServerEvent>> {
    const response = await this.fetch('/api/admin/live', { headers: { accept: 'text/event-stream', authorization: `Bearer ${this.token}` }, signal });
    if (!response.ok || !response.body) throw new ApiProblem(response.status, await problemOf(response));
    const events = serverEvents(response.body);
    // Not `for await … break`: that would close the generator.
    for (let next = await events.next(); next.value?.event !== 'ready'; next = await events.next()) {
      if (next.done) throw new Error(`the gateway at ${this.gateway} closed its admin stream at once`);
    }
    return events;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (!response.ok) throw new ApiProblem(response.status, await problemOf(response));
    return (await response.json()) as T;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.gateway}${path}`, init);
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new Error(`cannot reach the gateway at ${this.gateway} (is \`./eventloom up\` running? --gateway sets another URL)`, { cause: error });
    }
  }
}

async function problemOf(response: Response): Promise<ApiProblem['problem']> {
  const text = await response.text();
  try {
    return JSON.parse(text) as ApiProblem['problem'];
  } catch {
    return { title: `the gateway answered ${response.status}`, ...(text ? { detail: text.slice(0, 300) } : {}) };
  }
}
