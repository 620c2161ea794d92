import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { Category, Observation, Tally } from './tally.ts';

/** One request as the mix describes it. */
export interface Call {
  category: Category;
  /** `METHOD /path/{template}`, what the summary counts it under. */
  route: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  token?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Deliberately abusive (the hostile mix): its network errors are judged by the hostile check. */
  abusive?: boolean;
  /** An event stream is held open this long, then hung up. */
  holdMs?: number;
  /** Instead of `holdMs`: an event stream is held until this settles. */
  release?: Promise<void>;
  /** Told when an event stream has opened (before it is held). */
  opened?: () => void;
}

export interface Answer {
  /** 0 when no answer came. */
  status: number;
  /** Until the whole body was read; for an event stream, until it opened. */
  ms: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  error?: string;
  /** An event stream opened (and was held, then hung up). */
  streamed: boolean;
}

export function header(answer: Answer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function json<T>(answer: Answer): T | undefined {
  try {
    return JSON.parse(answer.text) as T;
  } catch {
    return undefined;
  }
}

/** No answer within this is a hung request (a network error), not a slow one. */
const answerTimeoutMs = 30_000;

/** The gateway over one undici pool of keep-alive connections; every answer goes to the tally. */
export class Gateway {
  readonly url: string;
  readonly tally: Tally;
  private readonly pool: Pool;

  constructor(url: string, tally: Tally, connections: number) {
    this.url = url;
    this.tally = tally;
    this.pool = new Pool(url, { connections, pipelining: 1, headersTimeout: answerTimeoutMs, bodyTimeout: answerTimeoutMs });
  }

  async send(call: Call): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    if (call.token) headers.authorization = `Bearer ${call.token}`;
    if (call.body !== undefined) headers['content-type'] ??= 'application/json';
    const started = performance.now();
    let answer: Answer;
    try {
      const response = await this.pool.request({ method: call.method, path: call.path, headers, ...(call.body !== undefined ? { body: call.body } : {}) });
      const type = String(response.headers['content-type'] ?? '');
      if (type.startsWith('text/event-stream')) {
        const opened = performance.now() - started;
        call.opened?.();
        const text = await hold(response.body, call.release ?? sleep(call.holdMs ?? 0));
        answer = { status: response.statusCode, ms: opened, headers: response.headers, text, streamed: true };
      } else {
        const text = await response.body.text();
        answer = { status: response.statusCode, ms: performance.now() - started, headers: response.headers, text, streamed: false };
      }
    } catch (error) {
      answer = { status: 0, ms: performance.now() - started, headers: {}, text: '', error: errorName(error), streamed: false };
    }
    this.observe(call, answer);
    return answer;
  }

  /** Counts an answer that came some other way (a raw socket for the 3 MB bodies). */
  observe(call: Pick<Call, 'category' | 'route' | 'path' | 'abusive'>, answer: Answer): void {
    const observation: Observation = { category: call.category, route: call.route, path: call.path, status: answer.status, ms: answer.ms, abusive: call.abusive ?? false };
    if (answer.error) observation.error = answer.error;
    const retryAfter = header(answer, 'retry-after');
    if (retryAfter) observation.retryAfter = retryAfter;
    if (answer.status >= 400) {
      const problem = json<{ quota?: string; detail?: string; title?: string }>(answer);
      if (problem?.quota) observation.quota = problem.quota;
      const detail = problem?.detail ?? problem?.title;
      if (detail) observation.detail = detail;
    }
    this.tally.record(observation);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/** Reads an event stream until `release` settles (or the server ends it), then hangs up; what arrived is returned. */
async function hold(body: NodeJS.ReadableStream & { destroy(): void }, release: Promise<unknown>): Promise<string> {
  let text = '';
  const ended = new Promise<void>((resolve) => {
    body.on('data', (chunk: Buffer) => {
      if (text.length < 64 * 1024) text += chunk.toString('utf8');
    });
    body.on('end', resolve);
    body.on('error', resolve);
  });
  await Promise.race([release, ended]);
  body.destroy();
  return text;
}

export function errorName(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return code ?? message ?? String(error);
}
