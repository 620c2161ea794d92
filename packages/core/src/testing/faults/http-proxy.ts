import { randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What happens to one request on its way to Azure Storage. A `-before` fault never
 * reaches the service, so nothing changed there; an `-after` fault reaches it, so
 * a write is committed and only its answer goes wrong (the SDK's retry then meets
 * 409 or 412). Faults act on the wire, so the SDKs' own retries see them too.
 */
export type HttpFault =
  | { kind: 'pass' }
  /** A latency spike before forwarding, then `then` (default pass). */
  | { kind: 'delay'; ms: number; then?: HttpFault }
  /**
   * An Azure-style error answered by the proxy; 503 with code ServerBusy is throttling.
   * `message` replaces the code's usual text (Azure says which limit a ServerBusy hit).
   */
  | { kind: 'error-before'; status: 500 | 503; code?: string; message?: string }
  /** The client socket is destroyed: the caller sees ECONNRESET / socket hang up. */
  | { kind: 'reset-before' }
  /** Held for ms, then the socket is destroyed, as when a request times out in the network. */
  | { kind: 'timeout-before'; ms: number }
  /** Never answered, until the proxy is killed or closed. */
  | { kind: 'hang' }
  /** Forwarded and answered, but the answer is held ms first: a slow response. */
  | { kind: 'delay-after'; ms: number }
  /** Forwarded and completed, then the client socket is destroyed: committed, answer lost. */
  | { kind: 'reset-after' }
  /** Forwarded and completed, then an error is answered instead of the real response. */
  | { kind: 'error-after'; status: 500 | 503; code?: string; message?: string };

export type StorageService = 'blob' | 'table';

export interface ProxiedRequest {
  method: string;
  /** Path and query, e.g. `/devstoreaccount1/mytable(PartitionKey='a',RowKey='b')`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** 1 for the first request this proxy received, in arrival order. */
  ordinal: number;
}

export interface HttpFaultProxyOptions {
  target: { host: string; port: number };
  /** Chooses each request's fault; a throw counts as `decide-error` and the request passes. */
  decide: (request: ProxiedRequest) => HttpFault | Promise<HttpFault>;
  /** Which error body the SDK expects; guessed per request (OData headers mean table) when omitted. */
  service?: StorageService;
  /** 0 or omitted picks a free port. */
  port?: number;
}

export interface HttpFaultProxy {
  readonly port: number;
  /** `http://127.0.0.1:PORT` + path, e.g. `url('/devstoreaccount1')` for a connection string. */
  url(path?: string): string;
  /** Requests by the fault applied to them (a delay counts itself and what follows it), plus `decide-error` and `upstream-error`. */
  readonly stats: Record<string, number>;
  readonly killed: boolean;
  /**
   * The process behind this proxy died: every client socket is destroyed and no
   * answer reaches it again. Requests not yet forwarded never are; requests already
   * forwarded run to completion at the service ('deliver') or are aborted ('drop',
   * which leaves it open whether the service applied them). New connections are
   * destroyed at once.
   */
  kill(inflight?: 'deliver' | 'drop'): void;
  revive(): void;
  close(): Promise<void>;
}

interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Exchange {
  request: ProxiedRequest;
  /** The client's socket: a reset destroys it (a response may not have one yet while earlier ones are written). */
  client: Socket;
  response: ServerResponse;
  /** Aborted when the proxy is killed or closed: the exchange stops wherever it is. */
  life: AbortSignal;
}

const pass: HttpFault = { kind: 'pass' };

// Connection-level headers belong to one hop; each leg has its own connection. A
// request keeps its Transfer-Encoding (it is forwarded as the client framed it);
// an answer loses it, because the proxy buffered the body and knows its length.
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);
const answerHopByHop = new Set([...hopByHop, 'transfer-encoding']);

export async function startHttpFaultProxy(options: HttpFaultProxyOptions): Promise<HttpFaultProxy> {
  const { target, decide } = options;
  const agent = new http.Agent({ keepAlive: true });
  const clientSockets = new Set<Socket>();
  const forwarded = new Set<http.ClientRequest>();
  const stats: Record<string, number> = {};
  const count = (what: string) => {
    stats[what] = (stats[what] ?? 0) + 1;
  };
  let life = new AbortController();
  let closing: Promise<void> | undefined;
  let ordinal = 0;

  const server = http.createServer((incoming, response) => void handle(incoming, response));
  server.on('connection', (socket: Socket) => {
    if (life.signal.aborted) {
      socket.destroy();
      return;
    }
    clientSockets.add(socket);
    socket.once('close', () => clientSockets.delete(socket));
  });
  // A client that vanished mid-request is the normal case here, not a 400 to answer.
  server.on('clientError', (_error, socket) => socket.destroy());

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const exchangeLife = life.signal;
    const arrival = ++ordinal;
    const body = await readBody(incoming);
    if (body === undefined || exchangeLife.aborted) return;
    const request: ProxiedRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      headers: incoming.headers,
      body,
      ordinal: arrival,
    };
    let fault: HttpFault;
    try {
      fault = (await decide(request)) ?? pass;
    } catch {
      count('decide-error');
      fault = pass;
    }
    await apply(fault, { request, client: incoming.socket, response, life: exchangeLife });
  }

  async function apply(fault: HttpFault, exchange: Exchange): Promise<void> {
    const { request, client, life: exchangeLife } = exchange;
    if (exchangeLife.aborted) return;
    count(fault.kind);
    switch (fault.kind) {
      case 'pass':
        return forwardAnd(exchange, (answer) => answerWith(exchange, answer));
      case 'delay':
        if (!(await pause(fault.ms, exchangeLife))) return;
        // A client that gave up while the request was held sent nothing the service will see.
        if (client.destroyed) {
          count('abandoned');
          return;
        }
        await apply(fault.then ?? pass, exchange);
        return;
      case 'error-before':
        return answerWith(exchange, azureError(serviceOf(request), fault));
      case 'reset-before':
        client.destroy();
        return;
      case 'timeout-before':
        if (await pause(fault.ms, exchangeLife)) client.destroy();
        return;
      case 'hang':
        return;
      case 'delay-after':
        return forwardAnd(exchange, async (answer) => {
          if (await pause(fault.ms, exchangeLife)) answerWith(exchange, answer);
        });
      case 'reset-after':
        return forwardAnd(exchange, () => void client.destroy());
      case 'error-after': {
        const error = azureError(serviceOf(request), fault);
        return forwardAnd(exchange, () => answerWith(exchange, error));
      }
    }
  }

  /** Forwards the request, waits for the whole answer, then hands it on unless the proxy was killed meanwhile. */
  async function forwardAnd(exchange: Exchange, then: (answer: UpstreamAnswer) => void | Promise<void>): Promise<void> {
    const answer = await forward(exchange.request);
    if (exchange.life.aborted) return;
    if (!answer) {
      // The service could not be reached: to the client the service is unreachable.
      count('upstream-error');
      exchange.client.destroy();
      return;
    }
    await then(answer);
  }

  async function forward(request: ProxiedRequest): Promise<UpstreamAnswer | undefined> {
    const first = await send(request);
    // A pooled socket the service closed while idle fails before the service read
    // anything; retrying it once keeps the proxy from adding faults nobody chose.
    if (first !== 'stale-socket') return first;
    const second = await send(request);
    return second === 'stale-socket' ? undefined : second;
  }

  function send(request: ProxiedRequest): Promise<UpstreamAnswer | 'stale-socket' | undefined> {
    return new Promise((resolve) => {
      const upstream = http.request({
        host: target.host,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...without(hopByHop, request.headers), host: `${target.host}:${target.port}` },
        agent,
      });
      forwarded.add(upstream);
      upstream.once('close', () => forwarded.delete(upstream));
      upstream.once('error', (error: NodeJS.ErrnoException) => {
        resolve(upstream.reusedSocket && error.code === 'ECONNRESET' && !life.signal.aborted ? 'stale-socket' : undefined);
      });
      upstream.once('response', (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
        answer.once('close', () => {
          if (!answer.complete) resolve(undefined);
        });
      });
      // No body, no bytes: Node would otherwise add a Content-Length the client did
      // not send, and Blob's SharedKey signature covers Content-Length.
      upstream.end(request.body.length > 0 ? request.body : undefined);
    });
  }

  function serviceOf(request: ProxiedRequest): StorageService {
    if (options.service) return options.service;
    const accept = String(request.headers.accept ?? '');
    return request.headers.dataserviceversion || accept.includes('odata') ? 'table' : 'blob';
  }

  function kill(inflight: 'deliver' | 'drop' = 'deliver'): void {
    life.abort();
    for (const socket of clientSockets) socket.destroy();
    if (inflight === 'drop') for (const upstream of forwarded) upstream.destroy();
  }

  await new Promise<void>((listening, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail);
      listening();
    });
  });
  const port = (server.address() as { port: number }).port;

  return {
    port,
    url: (path = '') => `http://127.0.0.1:${port}${path}`,
    stats,
    get killed() {
      return life.signal.aborted;
    },
    kill,
    revive() {
      if (closing || !life.signal.aborted) return;
      life = new AbortController();
    },
    close() {
      closing ??= new Promise<void>((done) => {
        kill('drop');
        server.close(() => done());
      }).then(() => agent.destroy());
      return closing;
    },
  };
}

/** The whole body, or undefined when the client went away before sending it. */
async function readBody(incoming: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks);
}

/** True after ms, false when the proxy was killed or closed first. */
async function pause(ms: number, life: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal: life });
    return true;
  } catch {
    return false;
  }
}

function without(names: Set<string>, headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !names.has(name)) kept[name] = value;
  }
  return kept;
}

function answerWith({ request, client, response }: Exchange, answer: UpstreamAnswer): void {
  if (client.destroyed || response.destroyed) return;
  const headers = without(answerHopByHop, answer.headers);
  // The body was buffered, so its length is known; a HEAD answer keeps the
  // resource's length (blob properties are read from it).
  if (request.method !== 'HEAD' && answer.status !== 204 && answer.status !== 304) headers['content-length'] = answer.body.length;
  response.writeHead(answer.status, headers);
  response.end(answer.body);
}

// Azure's texts for these codes (Storage REST API, common error codes). ServerBusy has
// several; this one is the generic throttling answer.
const errorMessages: Record<string, string> = {
  ServerBusy: 'The server is currently unable to receive requests. Please retry your request.',
  InternalError: 'The server encountered an internal error. Please retry the request.',
};

/** An error as Azure Storage answers it: Table speaks OData JSON, Blob speaks XML. */
function azureError(service: StorageService, fault: { status: 500 | 503; code?: string; message?: string }): UpstreamAnswer {
  const { status } = fault;
  const errorCode = fault.code ?? (status === 503 ? 'ServerBusy' : 'InternalError');
  const requestId = randomUUID();
  const message = `${fault.message ?? errorMessages[errorCode] ?? errorCode}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`;
  const headers: IncomingHttpHeaders = { 'x-ms-error-code': errorCode, 'x-ms-request-id': requestId, date: new Date().toUTCString() };
  if (service === 'table') {
    headers['content-type'] = 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8';
    const body = JSON.stringify({ 'odata.error': { code: errorCode, message: { lang: 'en-US', value: message } } });
    return { status, headers, body: Buffer.from(body) };
  }
  headers['content-type'] = 'application/xml';
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${errorCode}</Code><Message>${escapeXml(message)}</Message></Error>`;
  return { status, headers, body: Buffer.from(body) };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Host and port of a connection string's Blob or Table endpoint: the target of that service's proxy. */
export function storageTarget(connectionString: string, service: StorageService): { host: string; port: number } {
  const url = new URL(endpointOf(connectionString, service));
  if (url.protocol !== 'http:') throw new Error(`storageTarget: the fault proxy forwards plain HTTP (Azurite), not ${url.protocol}`);
  return { host: url.hostname, port: Number(url.port || 80) };
}

/** The same account, key and paths, with the given services' endpoints pointing at their proxies. */
export function connectionStringThrough(connectionString: string, proxies: Partial<Record<StorageService, HttpFaultProxy>>): string {
  return connectionString
    .split(';')
    .map((part) => {
      const [key] = part.split('=', 1);
      const service = key === 'BlobEndpoint' ? 'blob' : key === 'TableEndpoint' ? 'table' : undefined;
      const proxy = service && proxies[service];
      if (!service || !proxy) return part;
      return `${key}=${proxy.url(new URL(endpointOf(connectionString, service)).pathname)}`;
    })
    .join(';');
}

function endpointOf(connectionString: string, service: StorageService): string {
  const key = service === 'blob' ? 'BlobEndpoint' : 'TableEndpoint';
  const part = connectionString.split(';').find((p) => p.startsWith(`${key}=`));
  if (!part) throw new Error(`the connection string has no ${key}=; the fault proxies need explicit endpoints (as Azurite's test connection string has)`);
  return part.slice(key.length + 1);
}
