import { TableClient, type TableEntityResult } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import http from 'node:http';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { testPrefix } from '../env.ts';
import {
  connectionStringThrough,
  startHttpFaultProxy,
  storageTarget,
  type HttpFault,
  type ProxiedRequest,
} from './index.ts';

const azurite = process.env.AZURE_STORAGE_CONNECTION_STRING!;

// The SDKs' own retry policies, with their waits cut from seconds to milliseconds.
const tableOptions = { allowInsecureConnection: true, retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 } };
const blobOptions = { retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 } };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function proxyTo(target: { host: string; port: number }, decide: (request: ProxiedRequest) => HttpFault | Promise<HttpFault>, service?: 'blob' | 'table') {
  const proxy = await startHttpFaultProxy({ target, decide, service });
  cleanups.push(() => proxy.close());
  return proxy;
}

const isWrite = (request: ProxiedRequest) => request.method !== 'GET' && request.method !== 'HEAD';

/** The given faults for the first writes, in order, and pass for everything else; `writes` lists what arrived. */
function onWrites(...faults: HttpFault[]) {
  const writes: ProxiedRequest[] = [];
  const decide = (request: ProxiedRequest): HttpFault => {
    if (!isWrite(request)) return { kind: 'pass' };
    writes.push(request);
    return faults[writes.length - 1] ?? { kind: 'pass' };
  };
  return { decide, writes };
}

/** The same fault for every write. */
function everyWrite(fault: HttpFault) {
  const writes: ProxiedRequest[] = [];
  const decide = (request: ProxiedRequest): HttpFault => {
    if (!isWrite(request)) return { kind: 'pass' };
    writes.push(request);
    return fault;
  };
  return { decide, writes };
}

/** A fresh table: `direct` looks at Azurite itself, `proxied` goes through a proxy deciding with `decide`. */
async function tableThrough(decide: (request: ProxiedRequest) => HttpFault) {
  const name = testPrefix('http');
  const direct = TableClient.fromConnectionString(azurite, name, tableOptions);
  await direct.createTable();
  cleanups.push(() => direct.deleteTable());
  const proxy = await proxyTo(storageTarget(azurite, 'table'), decide, 'table');
  const proxied = TableClient.fromConnectionString(connectionStringThrough(azurite, { table: proxy }), name, tableOptions);
  return { direct, proxied, proxy };
}

/** A fresh container, seen directly and through a proxy. */
async function containerThrough(decide: (request: ProxiedRequest) => HttpFault) {
  const name = testPrefix('http');
  const direct = BlobServiceClient.fromConnectionString(azurite, blobOptions).getContainerClient(name);
  await direct.create();
  cleanups.push(() => direct.delete());
  const proxy = await proxyTo(storageTarget(azurite, 'blob'), decide, 'blob');
  const proxied = BlobServiceClient.fromConnectionString(connectionStringThrough(azurite, { blob: proxy }), blobOptions).getContainerClient(name);
  return { direct, proxied, proxy };
}

async function rows(table: TableClient): Promise<TableEntityResult<Record<string, unknown>>[]> {
  const all: TableEntityResult<Record<string, unknown>>[] = [];
  for await (const entity of table.listEntities()) all.push(entity);
  return all;
}

async function blobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names;
}

/** The SDKs' RestError: Blob puts the service's error code in `code`, Table only in `details.errorCode`. */
interface Failure {
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
  message: string;
}

async function failureOf(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected a failure, but it succeeded');
}

const deposit = { partitionKey: 'account-1', rowKey: '0000000001', type: 'Deposited', amount: 100 };

describe('HTTP fault proxy in front of Azurite', () => {
  it('passes table and blob requests through, SharedKey signatures still valid', async () => {
    const { proxied: table, proxy: tableProxy } = await tableThrough(() => ({ kind: 'pass' }));
    await table.createEntity(deposit);
    const entity = await table.getEntity<{ amount: number }>('account-1', '0000000001');
    expect(entity.amount).toBe(100);

    const { proxied: container, proxy: blobProxy } = await containerThrough(() => ({ kind: 'pass' }));
    const blob = container.getBlockBlobClient('snapshot.json');
    await blob.upload('{"balance":100}', 15);
    expect((await blob.downloadToBuffer()).toString()).toBe('{"balance":100}');
    expect((await blob.getProperties()).contentLength).toBe(15);

    expect(tableProxy.stats.pass).toBe(2);
    expect(blobProxy.stats.pass).toBe(4);
  });

  it('reset-after: the entity is committed, its answer is lost, and the SDK retry meets 409', async () => {
    const { decide, writes } = onWrites({ kind: 'reset-after' });
    const { direct, proxied, proxy } = await tableThrough(decide);

    const failure = await failureOf(proxied.createEntity(deposit));

    expect(failure.statusCode).toBe(409);
    expect(writes).toHaveLength(2);
    expect(proxy.stats['reset-after']).toBe(1);
    expect(await rows(direct)).toHaveLength(1);
  });

  it('reset-after on a create-only blob upload: the retry meets 409 and the blob is there once', async () => {
    const { decide, writes } = onWrites({ kind: 'reset-after' });
    const { direct, proxied } = await containerThrough(decide);

    const upload = proxied.getBlockBlobClient('checkpoint.json').upload('{"seq":7}', 9, { conditions: { ifNoneMatch: '*' } });
    const failure = await failureOf(upload);

    expect(failure.statusCode).toBe(409);
    expect(failure.code).toBe('BlobAlreadyExists');
    expect(writes).toHaveLength(2);
    expect(await blobNames(direct)).toEqual(['checkpoint.json']);
  });

  it('error-after: the entity is committed, the caller saw 500, and the SDK retry meets 409', async () => {
    const { decide } = onWrites({ kind: 'error-after', status: 500 });
    const { direct, proxied } = await tableThrough(decide);

    expect((await failureOf(proxied.createEntity(deposit))).statusCode).toBe(409);
    expect(await rows(direct)).toHaveLength(1);
  });

  it('error-before 503 ServerBusy once: the SDK retries and the write succeeds', async () => {
    const { decide, writes } = onWrites({ kind: 'error-before', status: 503 });
    const { direct, proxied, proxy } = await tableThrough(decide);

    await proxied.createEntity(deposit);

    expect(writes).toHaveLength(2);
    expect(proxy.stats['error-before']).toBe(1);
    expect(await rows(direct)).toHaveLength(1);
  });

  it('error-before on every attempt: the table caller gets 503 ServerBusy after the SDK retries, nothing written', async () => {
    const { decide, writes } = everyWrite({ kind: 'error-before', status: 503 });
    const { direct, proxied } = await tableThrough(decide);

    const failure = await failureOf(proxied.createEntity(deposit));

    expect(failure.statusCode).toBe(503);
    expect(failure.details?.errorCode).toBe('ServerBusy');
    expect(writes).toHaveLength(4); // the first attempt and the SDK's 3 retries
    expect(await rows(direct)).toHaveLength(0);
  });

  it('answers a table ServerBusy as Azure does: x-ms-error-code, the OData JSON error, Azure\'s text', async () => {
    const { proxy } = await tableThrough(() => ({ kind: 'error-before', status: 503 }));

    const answer = await fetch(proxy.url('/devstoreaccount1/sometable'), {
      method: 'POST',
      headers: { accept: 'application/json;odata=minimalmetadata', 'content-type': 'application/json;odata=nometadata' },
      body: '{"PartitionKey":"a","RowKey":"b"}',
    });

    expect(answer.status).toBe(503);
    expect(answer.headers.get('x-ms-error-code')).toBe('ServerBusy');
    expect(answer.headers.get('content-type')).toBe('application/json;odata=minimalmetadata;streaming=true;charset=utf-8');
    const body = (await answer.json()) as Record<string, unknown>;
    expect(body).toEqual({
      'odata.error': {
        code: 'ServerBusy',
        message: { lang: 'en-US', value: expect.stringMatching(/^The server is currently unable to receive requests\. Please retry your request\.\nRequestId:[0-9a-f-]{36}\nTime:\d{4}-/) },
      },
    });
  });

  it('error-before with a message: the SDK reads the limit Azure names', async () => {
    const { decide } = everyWrite({ kind: 'error-before', status: 503, message: 'Operations per second is over the account limit.' });
    const { proxied } = await tableThrough(decide);

    const failure = (await failureOf(proxied.createEntity(deposit))) as Failure & { details?: { odataError?: { code?: string; message?: { value?: string } } } };

    expect(failure.details?.errorCode).toBe('ServerBusy');
    expect(failure.details?.odataError?.code).toBe('ServerBusy');
    expect(failure.details?.odataError?.message?.value).toMatch(/^Operations per second is over the account limit\.\nRequestId:/);
  });

  it('error-before on every attempt: the blob caller gets 500 InternalError after the SDK retries, nothing written', async () => {
    const { decide, writes } = everyWrite({ kind: 'error-before', status: 500 });
    const { direct, proxied } = await containerThrough(decide);

    const failure = await failureOf(proxied.getBlockBlobClient('a.json').upload('{}', 2));

    expect(failure.statusCode).toBe(500);
    expect(failure.code).toBe('InternalError');
    expect(writes).toHaveLength(4); // maxTries 4
    expect(await blobNames(direct)).toEqual([]);
  });

  it('reset-before on every attempt: the caller gets a network error after the SDK retries, nothing written', async () => {
    const { decide, writes } = everyWrite({ kind: 'reset-before' });
    const { direct, proxied } = await tableThrough(decide);

    const failure = await failureOf(proxied.createEntity(deposit));

    expect(failure.statusCode).toBeUndefined();
    expect(failure.code).toBe('ECONNRESET');
    expect(writes).toHaveLength(4);
    expect(await rows(direct)).toHaveLength(0);
  });

  it('timeout-before once: the request is held, cut, never forwarded, and the SDK retry succeeds', async () => {
    const { decide, writes } = onWrites({ kind: 'timeout-before', ms: 200 });
    const { direct, proxied } = await tableThrough(decide);

    const started = Date.now();
    await proxied.createEntity(deposit);

    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(writes).toHaveLength(2);
    expect(await rows(direct)).toHaveLength(1);
  });

  it('delay: the request arrives late and then the inner fault applies', async () => {
    const { decide } = onWrites({ kind: 'delay', ms: 150 }, { kind: 'delay', ms: 50, then: { kind: 'error-before', status: 503 } });
    const { direct, proxied, proxy } = await tableThrough(decide);

    const started = Date.now();
    await proxied.createEntity(deposit);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);

    // the second write: delayed, refused with 503, retried by the SDK, stored
    await proxied.createEntity({ ...deposit, rowKey: '0000000002' });
    expect(proxy.stats).toMatchObject({ delay: 2, 'error-before': 1 });
    expect(await rows(direct)).toHaveLength(2);
  });

  it('forwards an entity-group transaction ($batch, multipart) intact; with its answer lost the retry is refused', async () => {
    const { decide } = onWrites({ kind: 'pass' }, { kind: 'reset-after' });
    const { direct, proxied } = await tableThrough(decide);
    const batch = (from: number) =>
      [0, 1, 2].map((i) => ['create', { ...deposit, rowKey: String(from + i).padStart(10, '0') }] as ['create', typeof deposit]);

    await proxied.submitTransaction(batch(1));
    expect(await rows(direct)).toHaveLength(3);

    const failure = await failureOf(proxied.submitTransaction(batch(4)));
    expect(failure.statusCode).toBe(409);
    expect(await rows(direct)).toHaveLength(6);
  });

  it('a decide that throws lets the request pass and is counted', async () => {
    const { direct, proxied, proxy } = await tableThrough(() => {
      throw new Error('simulator bug');
    });

    await proxied.createEntity(deposit);

    expect(proxy.stats['decide-error']).toBe(1);
    expect(await rows(direct)).toHaveLength(1);
  });
});

describe('killing the process behind an HTTP fault proxy', () => {
  it('loses the answer of a forwarded write, keeps the write, and fails later requests fast', async () => {
    const { decide, writes } = onWrites({ kind: 'delay-after', ms: 10_000 });
    const { direct, proxied, proxy } = await tableThrough(decide);

    const inFlight = failureOf(proxied.createEntity(deposit));
    await until(async () => (await rows(direct)).length === 1);
    proxy.kill();

    const failure = await inFlight;
    expect(failure.statusCode).toBeUndefined();
    expect(writes).toHaveLength(1); // the SDK's retries found the proxy dead before it could decide

    const started = Date.now();
    await expect(proxied.getEntity('account-1', '0000000001')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await rows(direct)).toHaveLength(1);
  });

  it('never forwards a request still waiting in the proxy', async () => {
    const { decide } = onWrites({ kind: 'delay', ms: 300 });
    const { direct, proxied, proxy } = await tableThrough(decide);

    const inFlight = failureOf(proxied.createEntity(deposit));
    await until(() => proxy.stats.delay === 1);
    proxy.kill();

    await inFlight;
    await sleep(400);
    expect(await rows(direct)).toHaveLength(0);
  });

  it('lets forwarded requests finish at the service (deliver) or aborts them there (drop)', async () => {
    for (const inflight of ['deliver', 'drop'] as const) {
      const service = await heldService();
      const proxy = await proxyTo(service.target, () => ({ kind: 'pass' }));

      const answer = get(proxy.url('/held'));
      const held = await service.arrived;
      proxy.kill(inflight);

      await expect(answer).rejects.toThrow(/socket hang up|ECONNRESET/);
      if (inflight === 'drop') {
        await once(held.request.socket, 'close');
        expect(held.response.writableFinished).toBe(false);
      } else {
        await sleep(100);
        expect(held.request.socket.destroyed).toBe(false);
        held.response.end('late');
        await once(held.response, 'finish');
      }
    }
  });

  it('destroys new connections at once, and revive() lets them through again', async () => {
    const service = await heldService({ answerAtOnce: true });
    const proxy = await proxyTo(service.target, () => ({ kind: 'pass' }));
    proxy.kill();

    await expect(get(proxy.url('/'))).rejects.toThrow(/socket hang up|ECONNRESET/);
    proxy.revive();
    expect(await get(proxy.url('/'))).toBe('ok');
  });

  it('closes promptly while requests hang or are held', async () => {
    const service = await heldService({ answerAtOnce: true });
    const faults: HttpFault[] = [{ kind: 'hang' }, { kind: 'timeout-before', ms: 60_000 }, { kind: 'delay-after', ms: 60_000 }];
    const proxy = await startHttpFaultProxy({ target: service.target, decide: (request) => faults[request.ordinal - 1]! });
    const answers = faults.map(() => get(proxy.url('/')).catch(() => 'failed'));
    await until(() => Object.keys(proxy.stats).length === 3);

    const started = Date.now();
    await proxy.close();

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await Promise.all(answers)).toEqual(['failed', 'failed', 'failed']);
  });

  it('numbers requests in arrival order, several on one kept-alive connection', async () => {
    const service = await heldService({ answerAtOnce: true });
    const ordinals: number[] = [];
    const proxy = await proxyTo(service.target, (request) => {
      ordinals.push(request.ordinal);
      return { kind: 'pass' };
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(async () => agent.destroy());

    for (let i = 0; i < 3; i++) expect(await get(proxy.url('/'), agent)).toBe('ok');

    expect(ordinals).toEqual([1, 2, 3]);
    expect(service.connections()).toBe(1);
  });
});

/** Polls until the condition holds (a test that waits for something forwarded). */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('until: condition did not hold in time');
    await sleep(20);
  }
}

/** A GET that resolves with the body of a 200, or rejects with the network error. */
function get(url: string, agent?: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString()));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * A stand-in service that holds its first request unanswered (so a test can kill the
 * proxy while it is forwarded), or answers every request `ok` at once.
 */
async function heldService(options: { answerAtOnce?: boolean } = {}) {
  let connections = 0;
  let arrive!: (held: { request: http.IncomingMessage; response: http.ServerResponse }) => void;
  const arrived = new Promise<{ request: http.IncomingMessage; response: http.ServerResponse }>((resolve) => (arrive = resolve));
  const server = http.createServer((request, response) => {
    if (options.answerAtOnce) response.end('ok');
    else arrive({ request, response });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((closed) => server.close(closed));
  });
  return { target: { host: '127.0.0.1', port: (server.address() as { port: number }).port }, arrived, connections: () => connections };
}
