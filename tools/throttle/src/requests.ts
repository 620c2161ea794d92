import type { IncomingHttpHeaders } from 'node:http';

/**
 * What one Table request costs against Azure's scalability targets: entities, counted
 * against the account and, when the request reaches one, against a table partition.
 * Azure states both targets in entities per second (1 KiB entities); a request that
 * touches no entity (a table or service operation) counts as one transaction.
 */
export interface Cost {
  entities: number;
  /** The partition charged; every operation of an entity-group transaction shares one. */
  partition?: { table: string; key: string };
}

export interface TableRequest {
  method: string;
  /** Path and query as sent, path-style (`/{account}/{resource}`), as Azurite is addressed. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Azure answers at most this many entities per query page. */
const maxPage = 1000;
const accountOnly: Cost = { entities: 1 };

// `table(PartitionKey='…',RowKey='…')`, keys URL-decoded, a quote inside a key doubled.
const pointResource = /^([A-Za-z][A-Za-z0-9]*)\(PartitionKey='((?:[^']|'')*)',RowKey='((?:[^']|'')*)'\)$/;
// `table` or `table()`: an insert (POST) or a query (GET).
const tableResource = /^([A-Za-z][A-Za-z0-9]*)(\(\))?$/;

/** The cost of one request. Never throws: a shape it does not know costs the account one transaction. */
export function costOf(request: TableRequest): Cost {
  const { path, query } = splitUrl(request.url);
  // Path-style addressing: the first segment is the account.
  const resource = decode(path.split('/').slice(2).join('/'));
  if (resource === undefined) return accountOnly;
  if (resource === '$batch') return batchCost(request);

  const point = pointResource.exec(resource);
  if (point) return { entities: 1, partition: { table: point[1]!, key: unquote(point[2]!) } };

  // `Tables`, `Tables('name')`, service properties and stats, table ACLs.
  const table = tableResource.exec(resource);
  if (!table || table[1] === 'Tables' || query.has('comp')) return accountOnly;
  if (request.method === 'POST') {
    const key = partitionKeyOf(request.body.toString('utf8'));
    return key === undefined ? accountOnly : { entities: 1, partition: { table: table[1]!, key } };
  }
  if (request.method === 'GET') return queryCost(table[1]!, query);
  return accountOnly;
}

/**
 * A query costs `$top` entities when it names one, else 1: the proxy decides before the
 * service answers, so it cannot count what the page will hold. A query pins a partition
 * when its filter says `PartitionKey eq '…'` and has no `or`; otherwise only the
 * account is charged (a scan's partitions are not known in advance).
 */
function queryCost(table: string, query: Map<string, string>): Cost {
  const top = Number(query.get('$top'));
  const entities = Number.isInteger(top) && top > 0 ? Math.min(top, maxPage) : 1;
  const key = pinnedPartition(query.get('$filter') ?? '');
  return key === undefined ? { entities } : { entities, partition: { table, key } };
}

function pinnedPartition(filter: string): string | undefined {
  // Literals out of the way first, so a key holding "or" or "PartitionKey eq" is just a key.
  const literals: string[] = [];
  const shape = filter.replace(/'((?:[^']|'')*)'/g, (_, literal: string) => `'${literals.push(unquote(literal)) - 1}'`);
  const pinned = /(?:^|[\s(])PartitionKey\s+eq\s+'(\d+)'/.exec(shape);
  if (!pinned || /\bor\b/i.test(shape)) return undefined;
  return literals[Number(pinned[1])];
}

/**
 * An entity-group transaction: a multipart/mixed body holding one changeset of
 * operations, each an HTTP request with an absolute URL. Each operation is one entity;
 * the partition comes from the first operation's keys (its URL, or its body for an insert).
 */
function batchCost(request: TableRequest): Cost {
  const body = request.body.toString('utf8');
  const operations = [...body.matchAll(/^(GET|POST|PUT|MERGE|PATCH|DELETE) (\S+) HTTP\/1\.1\r?$/gm)];
  if (operations.length === 0) return accountOnly;
  let partition: Cost['partition'];
  for (const operation of operations) {
    const own = costOf({ method: operation[1]!, url: pathOf(operation[2]!), headers: {}, body: Buffer.from(operationBody(body, operation.index)) });
    if (own.partition) {
      partition = own.partition;
      break;
    }
  }
  return partition ? { entities: operations.length, partition } : { entities: operations.length };
}

/** The body of the operation whose request line starts at `start`: after its headers, up to the next boundary. */
function operationBody(multipart: string, start: number): string {
  const headersEnd = multipart.indexOf('\r\n\r\n', start);
  if (headersEnd < 0) return '';
  const next = multipart.indexOf('\r\n--', headersEnd);
  return multipart.slice(headersEnd + 4, next < 0 ? undefined : next).trim();
}

function partitionKeyOf(json: string): string | undefined {
  try {
    const key = (JSON.parse(json) as { PartitionKey?: unknown }).PartitionKey;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Path and decoded query parameters. `+` stays `+`: the SDK encodes spaces as %20, and a key may hold a plus. */
function splitUrl(url: string): { path: string; query: Map<string, string> } {
  const at = url.indexOf('?');
  const query = new Map<string, string>();
  if (at >= 0) {
    for (const pair of url.slice(at + 1).split('&')) {
      const eq = pair.indexOf('=');
      const name = decode(eq < 0 ? pair : pair.slice(0, eq));
      const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
      if (name !== undefined && value !== undefined) query.set(name, value);
    }
  }
  return { path: at >= 0 ? url.slice(0, at) : url, query };
}

/** An operation's absolute URL without scheme and host, left encoded as sent. */
function pathOf(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

const unquote = (literal: string) => literal.replace(/''/g, "'");
