/**
 * Issue 16: banking and orders publish contract types of their own, made from their
 * internal events by explicit mappings. Consumers must see exactly what they saw when the
 * internal events were published as they are: the CloudEvents feed rendered before and
 * after is the same text, and stays the same when an internal event is refactored.
 */
import banking from '@eventloom/banking-context';
import { createRuntime, defineContext, defineEvent, publish, type ContextDefinition, type PublishedContract, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import orders from '@eventloom/orders-context';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { asyncApiDocument } from '../src/consumers/asyncapi.ts';
import { toCloudEvent } from '../src/consumers/cloud-event.ts';
import { PublishedFeed } from '../src/consumers/published-feed.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);
const system = { sub: 'test', role: 'admin' as const };

/** The context as it was: each contract published as the internal event it is made from. */
function asInternalEvents(context: ContextDefinition): ContextDefinition {
  const published = (context.contracts?.published ?? []).map(({ event, from, style, link, description }): PublishedContract => ({
    event: from ?? event,
    style,
    ...(link ? { link } : {}),
    ...(description ? { description } : {}),
  }));
  return { ...context, contracts: { ...context.contracts, published } };
}

/** The context after a refactor of one internal event (`type`), published through an updated mapping. */
function refactored(context: ContextDefinition, type: string, contract: (internal: ContextDefinition['events'][number]) => PublishedContract, internal: ContextDefinition['events'][number]): ContextDefinition {
  const published = (context.contracts?.published ?? []).map((c) => ((c.from ?? c.event).type === type ? contract(internal) : c));
  return defineContext({ ...context, events: context.events.map((e) => (e.type === type ? internal : e)), contracts: { ...context.contracts, published } });
}

/** The whole published feed of a context, as consumers receive it (the feed's JSON). */
async function wire(runtime: Runtime, definition: ContextDefinition): Promise<string> {
  const page = await new PublishedFeed(runtime, definition).read(0, 1000);
  return JSON.stringify(page.entries.map(toCloudEvent));
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the published feeds');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const publishedOf = (context: ContextDefinition): PublishedContract[] => context.contracts?.published ?? [];
const contractTypes = (context: ContextDefinition) => publishedOf(context).filter((c) => c.from).map((c) => c.event.type);

describe.skipIf(!haveAzurite)('published contract types keep the wire shape', () => {
  let runtime: Runtime;

  beforeAll(async () => {
    runtime = await createRuntime({ contexts: [banking, orders], config: testConfig({ name: 'wire' }), logger: pino({ level: 'silent' }), workers: true });
    const account = (command: string, input: unknown) => runtime.context('banking').execute('account', command, input, { principal: system });
    await account('deposit', { customer: 'U1001', bank: 'scotia', amountCents: 5000, memo: 'salary' });
    await account('withdraw', { customer: 'U1001', bank: 'scotia', amountCents: 1200 });
    await account('deposit', { customer: 'U1002', bank: 'republic', amountCents: 700 });
    await account('void', { customer: 'U1003', bank: 'first-citizens' });
    const catalog = (command: string, input: unknown) => runtime.context('orders').execute('catalog', command, input, { principal: system });
    await catalog('createCategory', { name: 'Westerns', id: 41 });
    await catalog('renameCategory', { id: 41, name: 'Spaghetti westerns' });
    await catalog('createCategory', { name: 'Noir', id: 42 });
    await catalog('deleteCategory', { id: 42 });
    await until(async () => (await new PublishedFeed(runtime, banking).read(0, 100)).entries.length === 7);
    await until(async () => (await new PublishedFeed(runtime, orders).read(0, 100)).entries.length === 4);
  }, 60_000);
  afterAll(async () => {
    await runtime?.close();
  });

  it('banking publishes contract types distinct from its internal events, and its feed reads byte for byte as before', async () => {
    expect(contractTypes(banking)).toEqual(expect.arrayContaining(['AccountOpened', 'Deposited']));
    for (const contract of publishedOf(banking).filter((c) => c.from)) expect(contract.event).not.toBe(contract.from);
    const after = await wire(runtime, banking);
    expect(after).toContain('"type":"banking.AccountOpened.v1"');
    expect(after).toContain('"type":"banking.Deposited.v1"');
    expect(after).toBe(await wire(runtime, asInternalEvents(banking)));
  });

  it('orders publishes contract types distinct from its internal events, and its feed reads byte for byte as before', async () => {
    expect(contractTypes(orders)).toEqual(expect.arrayContaining(['CategoryCreated', 'CategoryRenamed']));
    const after = await wire(runtime, orders);
    expect(after).toContain('"type":"orders.CategoryRenamed.v1"');
    expect(after).toBe(await wire(runtime, asInternalEvents(orders)));
  });

  it('a refactored internal event (a renamed field, read through an upcaster) with an updated mapping leaves the wire as it was', async () => {
    // banking renames AccountOpened's `customer` to `customerId` (v2); the contract keeps `customer`.
    const AccountOpenedV2 = defineEvent('AccountOpened', {
      version: 2,
      schema: z.object({ customerId: z.string(), bank: z.string() }),
      upcasters: { 1: (v1) => ({ customerId: (v1 as { customer: string }).customer, bank: (v1 as { bank: string }).bank }) },
    });
    const opened = publishedOf(banking).find((c) => c.event.type === 'AccountOpened')!;
    const bankingAfter = refactored(
      banking,
      'AccountOpened',
      (internal) =>
        publish(opened.event, {
          from: internal as typeof AccountOpenedV2,
          map: (data) => ({ customer: data.customerId, bank: data.bank }),
          style: opened.style,
          link: opened.link!,
        }),
      AccountOpenedV2,
    );
    expect(await wire(runtime, bankingAfter)).toBe(await wire(runtime, banking));
    // The mapping left as it was no longer fits the refactored event: the read fails rather than publish a malformed event.
    const stale = refactored(banking, 'AccountOpened', (internal) => ({ ...opened, from: internal }), AccountOpenedV2);
    await expect(wire(runtime, stale)).rejects.toThrow(/AccountOpened v1 from AccountOpened .* cannot be published/);

    // orders renames CategoryRenamed's `previousName` to `formerName` (v2).
    const CategoryRenamedV2 = defineEvent('CategoryRenamed', {
      version: 2,
      schema: z.object({ categoryId: z.number(), name: z.string(), formerName: z.string() }),
      upcasters: { 1: (v1) => { const { previousName, ...rest } = v1 as { previousName: string }; return { ...rest, formerName: previousName }; } },
    });
    const renamed = publishedOf(orders).find((c) => c.event.type === 'CategoryRenamed')!;
    const ordersAfter = refactored(
      orders,
      'CategoryRenamed',
      (internal) =>
        publish(renamed.event, {
          from: internal as typeof CategoryRenamedV2,
          map: ({ formerName, ...rest }) => ({ ...rest, previousName: formerName }),
          style: renamed.style,
          link: renamed.link!,
        }),
      CategoryRenamedV2,
    );
    expect(await wire(runtime, ordersAfter)).toBe(await wire(runtime, orders));
  });
});

describe('published contract types keep the documented shape', () => {
  it('the AsyncAPI document of banking and orders (the portal’s contracts page) reads as it did with the internal events', () => {
    const now = JSON.stringify(asyncApiDocument([banking, orders]));
    expect(now).toBe(JSON.stringify(asyncApiDocument([asInternalEvents(banking), asInternalEvents(orders)])));
    expect(now).toContain('"banking.Deposited.v1"');
  });
});
