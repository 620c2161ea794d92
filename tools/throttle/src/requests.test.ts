import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { costOf, type Cost, type TableRequest } from './requests.ts';

interface Captured {
  label: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

// Requests the real SDK sent (see the file's `about`), so the shapes are the SDK's, not ours.
const captured = (JSON.parse(readFileSync(new URL('../test/sdk-requests.json', import.meta.url), 'utf8')) as { requests: Captured[] }).requests;

function sent(label: string): TableRequest[] {
  const requests = captured.filter((r) => r.label === label).map((r) => ({ ...r, body: Buffer.from(r.body, 'utf8') }));
  if (requests.length === 0) throw new Error(`no captured request labelled ${label}`);
  return requests;
}

const costOfCall = (label: string): Cost => costOf(sent(label)[0]!);
const partition = (key: string, table = 'capturedtable') => ({ table, key });
// The captured keys hold a quote, a plus, a space and a percent sign.
const oddKey = "it's a+b %";

describe('what a Table request costs', () => {
  it('a point operation costs one entity of its partition, keys decoded and unquoted', () => {
    for (const label of ['getEntity', 'updateEntity Merge', 'updateEntity Replace', 'upsertEntity Merge', 'deleteEntity']) {
      expect(costOfCall(label), label).toEqual({ entities: 1, partition: partition(oddKey) });
    }
  });

  it('an insert costs one entity of the PartitionKey in its body', () => {
    expect(costOfCall('createEntity')).toEqual({ entities: 1, partition: partition(oddKey) });
  });

  it('an entity-group transaction costs its operations, in the partition they share', () => {
    // three inserts: keys only in the bodies
    expect(costOfCall('submitTransaction creates')).toEqual({ entities: 3, partition: partition('counter-a') });
    // merge, replace, delete: keys in the operation URLs
    expect(costOfCall('submitTransaction update delete')).toEqual({ entities: 3, partition: partition(oddKey) });
  });

  it('a query pinned to a partition charges it: $top entities when given, else one', () => {
    expect(costOfCall('query pinned')).toEqual({ entities: 1, partition: partition(oddKey) });
    expect(costOfCall('query pinned top')).toEqual({ entities: 2, partition: partition('counter-a') });
  });

  it('a query over several partitions charges the account only', () => {
    expect(costOfCall('query or')).toEqual({ entities: 1 });
    expect(costOfCall('query range')).toEqual({ entities: 1000 });
    expect(costOfCall('query all')).toEqual({ entities: 1 });
  });

  it('table and service operations count one against the account', () => {
    for (const label of ['createTable', 'listTables', 'deleteTable', 'getProperties', 'getAccessPolicy']) {
      expect(costOfCall(label), label).toEqual({ entities: 1 });
    }
  });

  it('a literal that merely mentions PartitionKey or "or" does not change what a filter pins', () => {
    const query = (filter: string): TableRequest => ({ method: 'GET', url: `/devstoreaccount1/t()?$filter=${encodeURIComponent(filter)}`, headers: {}, body: Buffer.alloc(0) });
    expect(costOf(query("PartitionKey eq 'a or b' and RowKey eq 'x'"))).toEqual({ entities: 1, partition: { table: 't', key: 'a or b' } });
    expect(costOf(query("RowKey eq 'x PartitionKey eq ''z'''"))).toEqual({ entities: 1 });
    expect(costOf(query("(PartitionKey eq 'it''s') and RowKey gt '0'"))).toEqual({ entities: 1, partition: { table: 't', key: "it's" } });
  });

  it('caps $top at the 1000 entities a page can hold', () => {
    expect(costOf({ method: 'GET', url: "/devstoreaccount1/t()?$top=5000&$filter=PartitionKey%20eq%20'p'", headers: {}, body: Buffer.alloc(0) })).toEqual({
      entities: 1000,
      partition: { table: 't', key: 'p' },
    });
  });

  it('a request it cannot read costs the account one transaction instead of failing', () => {
    const odd: TableRequest[] = [
      { method: 'POST', url: '/devstoreaccount1/t', headers: {}, body: Buffer.from('not json') },
      { method: 'POST', url: '/devstoreaccount1/$batch', headers: {}, body: Buffer.from('--batch_x--') },
      { method: 'GET', url: '/devstoreaccount1/t(PartitionKey=%E0%A4%A)', headers: {}, body: Buffer.alloc(0) },
      { method: 'GET', url: '/', headers: {}, body: Buffer.alloc(0) },
    ];
    for (const request of odd) expect(costOf(request), request.url).toEqual({ entities: 1 });
  });
});
