import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContext } from '../context/define-context.ts';
import { defineEvent } from '../events/define-event.ts';
import type { FeedEntry } from '../events/envelope.ts';
import { ContractMappingError, publish, PublishedContracts } from './publish.ts';

// The internal event, as it was first written (v1) and after a refactor renamed a field (v2).
const PaidV1 = defineEvent('Paid', { schema: z.object({ invoice: z.string(), amount: z.number().int() }) });
const PaidV2 = defineEvent('Paid', {
  version: 2,
  schema: z.object({ invoice: z.string(), amountCents: z.number().int() }),
  upcasters: { 1: (v1) => ({ invoice: (v1 as { invoice: string }).invoice, amountCents: (v1 as { amount: number }).amount }) },
});
const Refunded = defineEvent('Refunded', { schema: z.object({ invoice: z.string() }) });

// What consumers rely on: its own name, version and schema.
const InvoicePaid = defineEvent('InvoicePaid', { schema: z.object({ invoiceId: z.string(), amount: z.number().int() }) });

const entry = (type: string, schemaVersion: number, data: unknown, seq = 7): FeedEntry => ({
  id: `0190a0a0-0000-7000-8000-00000000000${seq}`,
  type,
  schemaVersion,
  stream: 'invoice-I1',
  version: 2,
  occurredAt: '2026-01-31T12:00:00.000Z',
  who: 'owner',
  correlationId: 'cor-1',
  causationId: 'cmd-1',
  data,
  seq,
});

const billing = (published: Parameters<typeof defineContext>[0]['contracts']) =>
  defineContext({ name: 'billing', events: [PaidV1, Refunded], aggregates: [], projections: [], contracts: published });

describe('published contract types', () => {
  it('publishes an internal event as a contract type of its own: its name, version and mapped data', () => {
    const contracts = new PublishedContracts(
      billing({ published: [publish(InvoicePaid, { from: PaidV1, map: (data) => ({ invoiceId: data.invoice, amount: data.amount }), style: 'state' })] }),
    );
    const stored = entry('Paid', 1, { invoice: 'I1', amount: 500 });
    const published = contracts.toPublished(stored);
    expect(published).toEqual({ ...stored, type: 'InvoicePaid', schemaVersion: 1, data: { invoiceId: 'I1', amount: 500 } });
    expect(contracts.contractOf('Paid')?.event).toBe(InvoicePaid);
    expect(contracts.contractOf('InvoicePaid')).toBeUndefined();
  });

  it('keeps an event published as is (no mapping) unchanged, upcast to its current version', () => {
    const contracts = new PublishedContracts(
      defineContext({ name: 'billing', events: [PaidV2], aggregates: [], projections: [], contracts: { published: [{ event: PaidV2, style: 'delta' }] } }),
    );
    const stored = entry('Paid', 1, { invoice: 'I1', amount: 500 });
    expect(contracts.toPublished(stored)).toEqual({ ...stored, schemaVersion: 2, data: { invoice: 'I1', amountCents: 500 } });
  });

  it('names the internal types behind contract types, so readers filter stored rows before decoding them', () => {
    const contracts = new PublishedContracts(
      billing({
        published: [publish(InvoicePaid, { from: PaidV1, map: (data) => ({ invoiceId: data.invoice, amount: data.amount }), style: 'state' }), { event: Refunded, style: 'notification' }],
      }),
    );
    expect(contracts.sourceTypes(['InvoicePaid', 'Refunded'])).toEqual(['Paid', 'Refunded']);
    expect(contracts.sourceTypes(['Paid'])).toEqual([]);
    expect([...contracts.types]).toEqual(['InvoicePaid', 'Refunded']);
  });

  it('refuses a mapping whose output breaks the contract schema, naming the context, contract and event', () => {
    const contracts = new PublishedContracts(
      billing({ published: [publish(InvoicePaid, { from: PaidV1, map: (data) => ({ invoiceId: data.invoice, amount: String(data.amount) }) as never, style: 'state' })] }),
    );
    const stored = entry('Paid', 1, { invoice: 'I1', amount: 500 });
    expect(() => contracts.toPublished(stored)).toThrow(ContractMappingError);
    expect(() => contracts.toPublished(stored)).toThrow(/billing: InvoicePaid v1 from Paid .*seq 7.*amount/s);
  });

  it('refuses a mapping that throws, with the same error', () => {
    const contracts = new PublishedContracts(
      billing({
        published: [
          publish(InvoicePaid, {
            from: PaidV1,
            map: () => {
              throw new Error('no invoice');
            },
            style: 'state',
          }),
        ],
      }),
    );
    expect(() => contracts.toPublished(entry('Paid', 1, { invoice: 'I1', amount: 5 }))).toThrow(/InvoicePaid v1 from Paid.*no invoice/s);
  });

  it('lets the internal event change (a renamed field, v2) while an updated mapping keeps the published entry the same', () => {
    const before = new PublishedContracts(billing({ published: [publish(InvoicePaid, { from: PaidV1, map: (d) => ({ invoiceId: d.invoice, amount: d.amount }), style: 'state' })] }));
    const after = new PublishedContracts(
      defineContext({
        name: 'billing',
        events: [PaidV2],
        aggregates: [],
        projections: [],
        contracts: { published: [publish(InvoicePaid, { from: PaidV2, map: (d) => ({ invoiceId: d.invoice, amount: d.amountCents }), style: 'state' })] },
      }),
    );
    const old = entry('Paid', 1, { invoice: 'I1', amount: 500 });
    const refactored = entry('Paid', 2, { invoice: 'I1', amountCents: 500 });
    expect(after.toPublished(refactored)).toEqual({ ...before.toPublished(old), schemaVersion: 1 });
    expect(after.toPublished(old)).toEqual(before.toPublished(old));
  });

  it('gives the link the contract data and the published envelope', () => {
    const contract = publish(InvoicePaid, { from: PaidV1, map: (d) => ({ invoiceId: d.invoice, amount: d.amount }), style: 'notification', link: (data) => `/invoices/${data.invoiceId}` });
    expect(contract.link?.({ invoiceId: 'I9', amount: 1 }, 'invoice-I9', entry('InvoicePaid', 1, {}))).toBe('/invoices/I9');
  });
});

describe('defineContext with published contracts', () => {
  const map = (d: { invoice: string; amount: number }) => ({ invoiceId: d.invoice, amount: d.amount });

  it('refuses a contract from an event the context does not define', () => {
    expect(() => billing({ published: [{ event: InvoicePaid, style: 'state' }] })).toThrow(
      /publishes InvoicePaid, which is not one of its events/,
    );
  });

  it('refuses two contracts from one internal event', () => {
    const Other = defineEvent('PaymentSeen', { schema: z.object({ invoiceId: z.string(), amount: z.number().int() }) });
    expect(() =>
      billing({ published: [publish(InvoicePaid, { from: PaidV1, map, style: 'state' }), publish(Other, { from: PaidV1, map, style: 'notification' })] }),
    ).toThrow(/Paid is published twice \(as InvoicePaid and PaymentSeen\)/);
  });

  it('refuses two contracts of one type', () => {
    expect(() => billing({ published: [publish(InvoicePaid, { from: PaidV1, map, style: 'state' }), publish(InvoicePaid, { from: Refunded, map: () => ({ invoiceId: 'x', amount: 1 }), style: 'state' })] })).toThrow(
      /contract type InvoicePaid is published twice/,
    );
  });
});
