import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientErrors } from '../src/client-errors.ts';
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

describe('requests Node refuses before the gateway sees them', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const { app } = await testGateway();
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    answerClientErrors(server);
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
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

  it('still answers a well-formed request on the same server', async () => {
    const raw = await exchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
  });
});
