import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayServer } from '../src/http-server.ts';
import { testGateway } from './test-gateway.ts';

/** Writes raw bytes on a fresh connection and reads until the server closes it. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

function parse(raw: string) {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine?.split(' ')[1]), headers, body: JSON.parse(body) as { type: string; status: number } };
}

describe('requests Node or the adapter refuse before the app sees them', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const { app } = await testGateway();
    server = gatewayServer(app.fetch);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers headers past 16 KiB with a 431 problem', async () => {
    const answer = parse(await exchange(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 431, type: expect.stringMatching(/headers-too-large$/) });
  });

  it('answers a malformed header line with a 400 problem', async () => {
    const answer = parse(await exchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n'));
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 400, type: expect.stringMatching(/malformed$/) });
  });

  it.each([
    ['no Host', 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n'],
    ['a Host that is no host', 'GET /health HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n'],
    ['a backslash in the path', 'GET /api\\..\\health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
  ])('answers a request with %s with a 400 problem', async (_, request) => {
    const answer = parse(await exchange(port, request));
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 400, type: expect.stringMatching(/malformed$/) });
  });

  it('still answers a well-formed request on the same server', async () => {
    const raw = await exchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
  });
});
