/**
 * The health listener's thread (see health-port.ts): answers `/health` and `/health/live`
 * from what the main thread last told it, on an event loop nothing else uses.
 */
import { createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { Health } from '@eventloom/core';

const { host, port, beat, blockedMs, requestTimeoutMs } = workerData as { host: string; port: number; beat: SharedArrayBuffer; blockedMs: number; requestTimeoutMs: number };
const lastBeat = new Float64Array(beat);
let latest: { health: Health; startedAt: number } | undefined;

parentPort!.on('message', (message: { health: Health; startedAt: number }) => {
  latest = message;
});

function send(res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': status >= 400 && !('ok' in (body as object)) ? 'application/problem+json' : 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

// A client that never finishes its request, or never reads, holds a socket only this long.
const server = createServer({ requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs), keepAliveTimeout: requestTimeoutMs }, (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, { type: 'https://eventloom.dev/problems/method-not-allowed', title: 'Method not allowed', status: 405, detail: 'The health port answers GET only.' }, { allow: 'GET, HEAD' });
  }
  const blockedFor = Math.max(0, Date.now() - lastBeat[0]!);
  const eventLoop = { ok: blockedFor < blockedMs, sinceBeatMs: Math.round(blockedFor) };
  if (path === '/health/live') {
    return send(res, eventLoop.ok ? 200 : 503, { ok: eventLoop.ok, eventLoop }, eventLoop.ok ? {} : { 'retry-after': '5' });
  }
  if (path === '/health') {
    if (!latest) return send(res, 503, { ok: false, eventLoop, error: 'no probe has finished yet' }, { 'retry-after': '1' });
    const ok = eventLoop.ok && latest.health.ok;
    return send(res, ok ? 200 : 503, { ...latest.health, ok, eventLoop, ageMs: Math.max(0, Date.now() - latest.startedAt) }, ok ? {} : { 'retry-after': '5' });
  }
  send(res, 404, { type: 'https://eventloom.dev/problems/not-found', title: 'Not found', status: 404, detail: 'The health port answers /health and /health/live.' });
});
server.listen(port, host, () => {
  const address = server.address();
  parentPort!.postMessage({ listening: typeof address === 'object' && address ? address.port : port });
});
parentPort!.on('close', () => server.close());
