import { describe, expect, it } from 'vitest';
import { preferredWait } from '@eventloom/core';
import { expectProblem, testGateway } from './test-gateway.ts';

const increment = (headers: Record<string, string>) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify({ by: 2 }),
});

describe('command replies and status', () => {
  it('answers 202 with a status link by default', async () => {
    const { app, bearer, runtime } = await testGateway();
    const response = await app.request('/api/tally/increments', increment(bearer('owner')));
    expect(response.status).toBe(202);
    const body = (await response.json()) as { commandId: string; status: string; statusUrl: string; events: unknown[] };
    expect(body).toMatchObject({ status: 'accepted', statusUrl: `/api/tally/commands/${body.commandId}` });
    expect(body.events).toHaveLength(1);
    expect(response.headers.get('location')).toBe(body.statusUrl);
    expect(runtime.executed).toEqual([{ context: 'tally', aggregate: 'tally', command: 'increment', input: { by: 2 } }]);

    const status = await app.request(body.statusUrl, { headers: bearer('consumer') });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ commandId: body.commandId, state: 'accepted', context: 'tally' });
  });

  it('holds the reply with Prefer: wait=N until views have applied the command', async () => {
    const { app, bearer } = await testGateway();
    const response = await app.request('/api/tally/increments', increment({ ...bearer('owner'), Prefer: 'wait=5' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=5');
    expect(await response.json()).toMatchObject({ status: 'applied' });
  });

  it('falls back to 202 when the wait runs out', async () => {
    const { app, bearer, runtime } = await testGateway();
    runtime.viewsCatchUp = false;
    const response = await app.request('/api/tally/increments', increment({ ...bearer('owner'), Prefer: 'wait=1' }));
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'accepted' });
  });

  it('reads the wait among other preferences and caps it at 30 s', () => {
    expect(preferredWait('respond-async, wait=10')).toBe(10);
    expect(preferredWait('wait=600')).toBe(30);
    expect(preferredWait('return=minimal')).toBeUndefined();
    expect(preferredWait(undefined)).toBeUndefined();
  });

  it('answers an unknown command id with 404 problem', async () => {
    const { app, bearer } = await testGateway();
    await expectProblem(await app.request('/api/tally/commands/nope', { headers: bearer('admin') }), 404);
  });
});
