import { describe, expect, it } from 'vitest';
import { completeDocument, operationIdOf } from './openapi-document.ts';

const options = { origin: 'http://gateway.test', tags: { shipping: 'The Shipping context' } };

describe('the completed OpenAPI document', () => {
  it('names every operation from its method and path, parameters as By{Name}', () => {
    expect(operationIdOf('post', '/api/banking/accounts/{customer}/{bank}/deposits')).toBe('banking.postAccountsByCustomerByBankDeposits');
    expect(operationIdOf('get', '/api/webhooks')).toBe('webhooks.get');
    expect(operationIdOf('post', '/auth/token')).toBe('auth.postToken');
    expect(operationIdOf('get', '/metrics')).toBe('gateway.getMetrics');
    expect(operationIdOf('get', '/.well-known/jwks.json')).toBe('wellKnown.getJwksJson');
    expect(operationIdOf('get', '/api/admin/dead-letters')).toBe('admin.getDeadLetters');
  });

  it("gives a new context's untagged route an id, its context's tag and the problems it can answer, keeping what the route says", () => {
    const document = completeDocument(
      {
        openapi: '3.1.0',
        paths: {
          '/api/shipping/items/{id}/archive': {
            post: {
              parameters: [{ in: 'path', name: 'id' }],
              requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', maxLength: 200 } } } } } },
              security: [{ bearer: ['owner'] }],
              responses: { '200': { description: 'ok' }, '404': { description: 'no such item' } },
            },
          },
          '/health': { get: { operationId: 'health', security: [], responses: { '200': { description: 'ok' } } } },
        },
      },
      options,
    ) as { paths: Record<string, Record<string, { operationId: string; tags: string[]; responses: Record<string, { $ref?: string; description?: string }> }>>; tags: unknown[]; servers: unknown[]; components: { responses: Record<string, unknown> } };
    const archive = document.paths['/api/shipping/items/{id}/archive']!.post!;
    expect(archive.operationId).toBe('shipping.postItemsByIdArchive');
    expect((archive as { requestBody?: { content: Record<string, { example?: unknown }> } }).requestBody!.content['application/json']!.example).toEqual({ reason: 'example' });
    expect(archive.tags).toEqual(['shipping']);
    expect(Object.keys(archive.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '422', '429']);
    expect(archive.responses['404']).toEqual({ description: 'no such item' });
    expect(archive.responses['422']).toEqual({ $ref: '#/components/responses/Problem422' });
    const health = document.paths['/health']!.get!;
    expect(health.operationId).toBe('health');
    // Public, no input: only the rate limit.
    expect(Object.keys(health.responses).sort()).toEqual(['200', '429']);
    expect(document.tags).toEqual([{ name: 'shipping', description: 'The Shipping context' }]);
    expect(document.servers).toEqual([{ url: 'http://gateway.test', description: expect.any(String) }]);
    // Only the problem responses in use are components (an unused one is a lint warning).
    expect(Object.keys(document.components.responses).sort()).toEqual(['Problem400', 'Problem401', 'Problem403', 'Problem409', 'Problem413', 'Problem415', 'Problem422', 'Problem429']);
  });

  it('refuses two operations with one id, naming both', () => {
    expect(() =>
      completeDocument({ paths: { '/api/a/b': { get: { operationId: 'x' } }, '/api/a/c': { get: { operationId: 'x' } } } }, options),
    ).toThrow('operationId x of GET /api/a/c is also GET /api/a/b');
  });
});
