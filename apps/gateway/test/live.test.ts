import { channels, type ViewChange } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import { expectProblem, testGateway } from './test-gateway.ts';

/** Reads SSE frames from a streaming fetch body. */
function frames(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next(): Promise<string> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          return frame;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}

const change: ViewChange = { context: 'tally', projection: 'totals', seq: 7, streams: ['tally-1'], eventIds: ['evt-1'] };

describe('live view changes over SSE', () => {
  it('streams a view change published on the bus to a connected client', async () => {
    const { app, runtime, tokens } = await testGateway();
    const response = await app.request(`/api/live?contexts=tally&access_token=${tokens.consumer}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = frames(response);
    expect(await stream.next()).toContain('event: ready');

    await runtime.bus.publish(channels.viewChanged('tally'), change);
    const frame = await stream.next();
    expect(frame).toContain('event: view');
    expect(JSON.parse(frame.split('data: ')[1]!)).toEqual(change);

    await stream.cancel();
    await expect.poll(() => runtime.bus.subscribers(channels.viewChanged('tally'))).toBe(0);
  });

  it('answers a HEAD with headers only and holds no subscription after it (the stream a GET opens is stopped)', async () => {
    const { app, bearer, runtime } = await testGateway({ heartbeatMs: 20 });
    const response = await app.request('/api/live?contexts=tally', { method: 'HEAD', headers: bearer('admin') });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.body).toBeNull();
    // Nobody reads or cancels a HEAD's body: a stream left running would hold its subscription for ever.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runtime.bus.subscribers(channels.viewChanged('tally'))).toBe(0);
  });

  it('sends heartbeat comments while idle', async () => {
    const { app, tokens } = await testGateway({ heartbeatMs: 20 });
    const response = await app.request('/api/live', { headers: { Cookie: `eventloom_token=${tokens.owner}` } });
    const stream = frames(response);
    expect(await stream.next()).toContain('event: ready');
    expect(await stream.next()).toBe(': heartbeat');
    await stream.cancel();
  });

  it('refuses unknown contexts, missing tokens and bad query tokens with problems', async () => {
    const { app, tokens } = await testGateway();
    await expectProblem(await app.request(`/api/live?contexts=nope&access_token=${tokens.admin}`), 400);
    await expectProblem(await app.request('/api/live?contexts=tally'), 401);
    await expectProblem(await app.request('/api/live?access_token=forged'), 401);
  });

  it('refuses a consumer key not scoped to a requested context', async () => {
    const { app, auth } = await testGateway();
    const { token } = await auth.issue({ sub: 'consumer.orders', role: 'consumer', contexts: ['orders'] });
    await expectProblem(await app.request(`/api/live?contexts=tally&access_token=${token}`), 403);
  });

  it('only takes query tokens on the live stream', async () => {
    const { app, tokens } = await testGateway();
    await expectProblem(await app.request(`/auth/me?access_token=${tokens.admin}`), 401);
  });
});
