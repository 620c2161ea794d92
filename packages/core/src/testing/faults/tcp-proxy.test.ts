import { Redis, type RedisOptions } from 'ioredis';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { testPrefix } from '../env.ts';
import { startTcpFaultProxy, type TcpFaultProxy } from './index.ts';

const redisUrl = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const redis = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function proxy(): Promise<TcpFaultProxy> {
  const started = await startTcpFaultProxy({ target: redis });
  cleanups.push(() => started.close());
  return started;
}

/** A connected ioredis client through the proxy that retries its connection every 50 ms. */
async function client(through: TcpFaultProxy, options: RedisOptions = {}): Promise<Redis> {
  const connection = new Redis(through.url, { lazyConnect: true, retryStrategy: () => 50, ...options });
  connection.on('error', () => {}); // reconnection errors are what these tests cause
  cleanups.push(() => connection.disconnect());
  await connection.connect();
  return connection;
}

describe('TCP fault proxy in front of Redis', () => {
  it('carries commands and answers both ways while up', async () => {
    const through = await proxy();
    const connection = await client(through);
    const key = `${testPrefix('tcp')}:balance`; // expires by itself

    expect(await connection.ping()).toBe('PONG');
    await connection.set(key, '100', 'PX', 10_000);
    expect(await connection.get(key)).toBe('100');
    expect(through.connections).toBe(1);
  });

  it('hung: a command gets no answer and times out; leaving the hang cuts the connection and ioredis reconnects', async () => {
    const through = await proxy();
    const connection = await client(through, { commandTimeout: 300 });

    through.set('hung');
    await expect(connection.ping()).rejects.toThrow(/timed out/);
    expect(connection.status).toBe('ready'); // ioredis has no idea the connection is dead

    const reconnecting = once(connection, 'reconnecting');
    through.set('up');
    await reconnecting;
    expect(await connection.ping()).toBe('PONG');
  });

  it('hung: a new connection opens and stays open, but nothing comes back', async () => {
    const through = await proxy();
    through.set('hung');
    const socket = net.connect(through.port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    await once(socket, 'connect');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));

    socket.write('PING\r\n');
    await sleep(300);
    expect(received).toEqual([]);
    expect(socket.destroyed).toBe(false);

    const closed = once(socket, 'close');
    through.set('up');
    await closed;
  });

  it('down: commands fail while the connection is refused, and work again once up', async () => {
    const through = await proxy();
    const connection = await client(through, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });

    const closed = once(connection, 'close');
    through.set('down');
    await closed;
    await expect(connection.ping()).rejects.toThrow(/enableOfflineQueue/);
    await sleep(200); // several reconnection attempts, each cut at once
    expect(connection.status).not.toBe('ready');

    const ready = once(connection, 'ready');
    through.set('up');
    await ready;
    expect(await connection.ping()).toBe('PONG');
  });

  it('dropConnections: ioredis reconnects on its own and works again, like after a Redis restart', async () => {
    const through = await proxy();
    const connection = await client(through);

    const ready = once(connection, 'ready');
    through.dropConnections();
    expect(through.connections).toBe(0);
    await ready;

    expect(await connection.ping()).toBe('PONG');
    expect(through.mode).toBe('up');
  });

  it('kill: down for good, whatever is set afterwards', async () => {
    const through = await proxy();
    const connection = await client(through, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });

    through.kill();
    through.set('up');

    expect(through.mode).toBe('down');
    await sleep(200);
    expect(connection.status).not.toBe('ready');
    await expect(connection.ping()).rejects.toThrow();
  });
});
