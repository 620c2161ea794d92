import type { Role } from '@eventloom/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, testGateway } from './test-gateway.ts';

type Gateway = Awaited<ReturnType<typeof testGateway>>;
interface Operation {
  method: string;
  path: string;
  roles: Role[] | 'public';
  security?: unknown[];
}

const allRoles: Role[] = ['owner', 'admin', 'consumer'];

async function apiOperations(gateway: Gateway): Promise<Operation[]> {
  const document = (await (await gateway.app.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { 'x-roles'?: Role[] | 'public'; security?: unknown[] }>>;
  };
  return Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/api/'))
    .flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path: path.replaceAll(/\{[^}]+\}/g, 'x1'),
        roles: operation['x-roles'] as Role[] | 'public',
        security: operation.security,
      })),
    );
}

describe('every /api route states who may call it', () => {
  let gateway: Gateway;
  let operations: Operation[];
  beforeAll(async () => {
    gateway = await testGateway();
    operations = await apiOperations(gateway);
  });

  it('finds the context routes, the command status route and the live stream in the document', () => {
    const paths = operations.map((o) => `${o.method} ${o.path}`);
    expect(paths).toEqual(
      expect.arrayContaining(['POST /api/tally/increments', 'GET /api/tally/commands/x1', 'GET /api/live', 'GET /api/tally/about']),
    );
  });

  it('declares roles on each of them, with a bearer requirement unless public', () => {
    for (const operation of operations) {
      expect(operation.roles, `${operation.method} ${operation.path}`).toBeDefined();
      if (operation.roles !== 'public') {
        expect(operation.security, `${operation.method} ${operation.path}`).toEqual([{ bearer: operation.roles }]);
      }
    }
  });

  it('refuses a caller without a token with 401 problem JSON', async () => {
    const protectedOps = operations.filter((o) => o.roles !== 'public');
    expect(protectedOps.length).toBeGreaterThan(2);
    for (const { method, path } of protectedOps) {
      const response = await gateway.app.request(path, { method, headers: { 'Content-Type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
      await expectProblem(response, 401);
    }
  });

  it('refuses a caller with the wrong role with 403 problem JSON', async () => {
    let checked = 0;
    for (const { method, path, roles } of operations) {
      if (roles === 'public') continue;
      for (const role of allRoles.filter((r) => !roles.includes(r))) {
        const response = await gateway.app.request(path, {
          method,
          headers: { ...gateway.bearer(role), 'Content-Type': 'application/json' },
          body: method === 'GET' ? undefined : '{}',
        });
        const problem = await expectProblem(response, 403);
        expect(problem.instance).toBe(path);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('lets public routes through without a token', async () => {
    const response = await gateway.app.request('/api/tally/about');
    expect(response.status).toBe(200);
  });

  it('refuses a consumer key scoped to other contexts', async () => {
    const { token } = await gateway.auth.issue({ sub: 'consumer.other', role: 'consumer', contexts: ['orders'] });
    const response = await gateway.app.request('/api/tally/commands/cmd-1', { headers: { Authorization: `Bearer ${token}` } });
    await expectProblem(response, 403);
  });
});
