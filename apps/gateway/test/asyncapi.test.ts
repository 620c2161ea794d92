import { Parser } from '@asyncapi/parser';
import banking from '@eventloom/banking-context';
import counter from '@eventloom/counter-context';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../src/consumers/asyncapi.ts';
import { ledger } from './ledger-context.ts';
import { testGateway } from './test-gateway.ts';

const contexts = [counter, banking, ledger];

describe('the AsyncAPI document of the published contracts', () => {
  // The parser loads Spectral's rule sets: seconds on a busy machine.
  it('is valid AsyncAPI 3 according to @asyncapi/parser', { timeout: 60_000 }, async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(asyncApiDocument(contexts)));
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((e) => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    expect(document!.channels().all().map((c) => c.address())).toEqual(['/api/counter/feed', '/api/banking/feed', '/api/ledger/feed']);
  });

  it('has one message per published event, with its style and the JSON Schema of its data', () => {
    const doc = asyncApiDocument(contexts);
    const messages = doc.components.messages as Record<string, { payload: { properties: Record<string, unknown> }; 'x-eventloom-style': string }>;
    expect(Object.keys(messages)).toEqual([
      'counter.Incremented.v1',
      'banking.AccountOpened.v1',
      'banking.Deposited.v1',
      'banking.Withdrawn.v1',
      'banking.Voided.v1',
      'banking.TransferStarted.v1',
      'banking.TransferCompleted.v1',
      'banking.TransferCompensated.v1',
      'banking.TransferRejected.v1',
      'banking.TransferNeedsAttention.v1',
      'ledger.Noted.v1',
    ]);
    // A transfer's lifecycle is published as notifications (the link follows the transfer).
    expect(messages['banking.TransferCompensated.v1']!['x-eventloom-style']).toBe('notification');
    expect(schemas0(doc)['banking.TransferCompensated.v1']!.required).toEqual(expect.arrayContaining(['transferId', 'from', 'to', 'amountCents', 'reason']));
    // Internal events are not documented.
    expect(JSON.stringify(doc)).not.toContain('Audited');
    const deposited = messages['banking.Deposited.v1']!;
    expect(deposited['x-eventloom-style']).toBe('notification');
    expect(deposited.payload.properties.type).toEqual({ type: 'string', const: 'banking.Deposited.v1' });
    expect(deposited.payload.properties.data).toMatchObject({ required: ['id', 'type', 'stream'] });
    const schemas = doc.components.schemas as Record<string, { properties: Record<string, unknown>; required: string[] }>;
    expect(schemas['banking.Deposited.v1']!.required).toEqual(expect.arrayContaining(['customer', 'bank', 'amountCents', 'balanceAfterCents']));
    expect(messages['counter.Incremented.v1']!.payload.properties.data).toEqual({ $ref: '#/components/schemas/counter.Incremented.v1' });
  });

  it('is served at /asyncapi.json beside /openapi.json, without a token', async () => {
    const gateway = await testGateway({ contexts: [counter] });
    const response = await gateway.app.request('http://gateway.test:8787/asyncapi.json');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { asyncapi: string; servers: { gateway: { host: string } } };
    expect(body.asyncapi).toBe('3.0.0');
    expect(body.servers.gateway.host).toBe('gateway.test:8787');
  });
});

function schemas0(doc: ReturnType<typeof asyncApiDocument>) {
  return doc.components.schemas as Record<string, { required: string[] }>;
}
