import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Closer, compareFeedWithStore, config, counterRuntime, countersFromStore, countersView, local, owner, sorted, storageOf, storeEvents, waitUntil, wholeFeed } from './helpers.ts';

const closer = new Closer();
afterAll(() => closer.closeAll());

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A private redis-server of this test, stopped by pid. */
async function startRedis(port: number): Promise<{ process: ChildProcess; stop(): Promise<void> }> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let output = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      fail(new Error(`redis-server exited: ${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('Redis restart', () => {
  it('keeps accepting commands while Redis is down and catches the views up after it returns, nothing lost or doubled', { timeout: 60_000 }, async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    closer.defer(() => redis.stop());
    const cfg = config('redis', { REDIS_URL: `redis://127.0.0.1:${port}` });
    const storage = storageOf(cfg);
    const runtime = closer.add(await counterRuntime(cfg));
    expect(runtime.mode).toBe('redis');
    const context = runtime.context('counter');
    const increment = (id: string, by: number) => context.execute('counter', 'increment', { id, by }, { principal: owner });

    // with Redis: read-your-writes through bus notices
    for (let i = 0; i < 10; i++) {
      const accepted = await increment(`r${i % 3}`, 1);
      expect(await context.waitForViews(accepted, 5000)).toBe(true);
    }

    // Redis goes away (killed: no goodbye to the clients)
    await redis.stop();
    await waitUntil('the runtime to notice Redis is gone', async () => !(await runtime.health()).redis.ok, 10_000);
    for (let i = 0; i < 15; i++) await increment(`r${i % 3}`, 2);
    await increment('during-outage', 7);

    // back on the same port
    redis = await startRedis(port);
    await waitUntil('Redis answering the runtime again', async () => (await runtime.health()).redis.ok, 15_000, 200);

    // the relay sweep and projection polling catch up whatever the lost wake-ups missed
    const expected = sorted(countersFromStore(await storeEvents(storage)));
    expect(expected).toEqual([['during-outage', 7], ['r0', 4 + 10], ['r1', 3 + 10], ['r2', 3 + 10]]);
    await waitUntil('the view to catch up', async () => JSON.stringify(sorted(await countersView(runtime))) === JSON.stringify(expected), 20_000, 250);

    // subscriptions are back: a new command is seen applied through bus notices, promptly
    const accepted = await increment('after', 1);
    expect(await context.waitForViews(accepted, 5000)).toBe(true);

    const check = compareFeedWithStore(await storeEvents(storage), await wholeFeed(local(runtime).feed));
    expect(check.problems).toEqual([]);
    expect(check.feedCount).toBe(27);
    expect((await countersView(runtime)).get('after')).toBe(1);
  });
});
