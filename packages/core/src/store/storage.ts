import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';
import { ServerTime } from './server-time.ts';
import { BlobServiceClient, type BlobClient, type ContainerClient } from '@azure/storage-blob';

/** Azure error codes we act on, read from either SDK's RestError. */
export function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number })?.statusCode;
}

export function isConflict(error: unknown): boolean {
  return statusOf(error) === 409;
}

export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

export function isPreconditionFailed(error: unknown): boolean {
  return statusOf(error) === 412;
}

/**
 * A blob's whole content from one GET. (`downloadToBuffer` first asks for the size and
 * then downloads that many bytes without an ETag condition, so a blob rewritten in
 * between with another length reads torn, e.g. `{"seq":10` for `{"seq":100}`.)
 */
export async function readBlobText(blob: BlobClient): Promise<string> {
  const response = await blob.download(0);
  const chunks: Buffer[] = [];
  for await (const chunk of response.readableStreamBody!) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * What every process writing or relaying one store must agree on. The defaults are
 * the production values; the fault simulator shrinks them so a run takes seconds.
 */
export interface StoreTuning {
  /** Feed rows are partitioned by seq into buckets of this many (a transaction stays in one). */
  feedBucketSize: number;
  /** A writer trusts its own pending marker this long and skips re-marking the stream. */
  markerFreshMs: number;
  /** A marker unchanged this long (as the relay sees it) belongs to a quiet stream. */
  markerRetireMs: number;
  /** One attempt of an append gives up after this long (then its outcome is read back). */
  appendAttemptMs: number;
}

export const defaultStoreTuning: StoreTuning = {
  feedBucketSize: 10_000,
  markerFreshMs: 5_000,
  markerRetireMs: 15_000,
  appendAttemptMs: 4_000,
};

/** Errors worth another attempt: the service was busy or the connection failed. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined) return true;
  return status === 408 || status === 429 || status >= 500;
}

/**
 * One storage account: hands out table and container clients by logical name,
 * creating each once. Names get the configured prefix so tests and apps can
 * share an account without meeting each other's data.
 */
export class Storage {
  readonly prefix: string;
  readonly connectionString: string;
  readonly tuning: StoreTuning;
  private readonly tables = new Map<string, Promise<TableClient>>();
  private readonly containers = new Map<string, Promise<ContainerClient>>();
  private readonly blobService: BlobServiceClient;
  private readonly tableService: TableServiceClient;
  private readonly options: TableServiceClientOptions;
  /** The service's clock as seen from the Date headers of this account's table answers. */
  readonly serverTime: ServerTime;

  constructor(connectionString: string, prefix: string, tuning: Partial<StoreTuning> = {}, clock?: () => number) {
    this.connectionString = connectionString;
    this.prefix = prefix;
    this.tuning = { ...defaultStoreTuning, ...tuning };
    if (this.tuning.markerFreshMs + this.tuning.appendAttemptMs >= this.tuning.markerRetireMs) {
      throw new Error('markerRetireMs must exceed markerFreshMs + appendAttemptMs: a commit could land after its marker was retired');
    }
    this.serverTime = new ServerTime(clock);
    this.options = {
      allowInsecureConnection: /DefaultEndpointsProtocol=http;|http:\/\//.test(connectionString),
      additionalPolicies: [{ policy: this.serverTime.policy(), position: 'perCall' }],
    };
    this.blobService = BlobServiceClient.fromConnectionString(connectionString);
    this.tableService = TableServiceClient.fromConnectionString(connectionString, this.options);
  }

  /** Physical table name for a logical one: alphanumeric, starting with a letter. */
  tableName(...parts: string[]): string {
    const name = [this.prefix, ...parts].join('').replace(/[^A-Za-z0-9]/g, '');
    if (name.length < 3 || name.length > 63) throw new Error(`table name ${name} must be 3-63 characters`);
    return name;
  }

  /** A client for an existing-or-created table. */
  table(...parts: string[]): Promise<TableClient> {
    const name = this.tableName(...parts);
    let client = this.tables.get(name);
    if (!client) {
      client = this.createTable(name);
      this.tables.set(name, client);
      client.catch(() => this.tables.delete(name));
    }
    return client;
  }

  /**
   * A client for an existing table whose requests the SDK does not retry: appends retry
   * themselves, re-marking their stream and reading back whether an attempt committed.
   */
  writer(...parts: string[]): Promise<TableClient> {
    return this.table(...parts).then((table) => TableClient.fromConnectionString(this.connectionString, table.tableName, { ...this.options, retryOptions: { maxRetries: 0 } }));
  }

  /** A table client without creating the table (for names that may not exist). */
  tableClient(name: string): TableClient {
    return TableClient.fromConnectionString(this.connectionString, name, this.options);
  }

  container(context: string): Promise<ContainerClient> {
    const name = `${this.prefix}-${context}`.toLowerCase();
    let client = this.containers.get(name);
    if (!client) {
      client = (async () => {
        const container = this.blobService.getContainerClient(name);
        await container.createIfNotExists();
        return container;
      })();
      this.containers.set(name, client);
      client.catch(() => this.containers.delete(name));
    }
    return client;
  }

  async deleteTable(name: string): Promise<void> {
    this.tables.delete(name);
    await this.tableService.deleteTable(name);
  }

  async listTables(): Promise<string[]> {
    const names: string[] = [];
    for await (const table of this.tableService.listTables()) if (table.name) names.push(table.name);
    return names;
  }

  /** A cheap round trip that proves the account answers. */
  /**
   * Asks the Table and the Blob service at once, each bounded in time (no SDK retries
   * past the deadline): a hung account answers "down" within `timeoutMs`, never later.
   */
  async ping(timeoutMs = 2000): Promise<void> {
    const abortSignal = AbortSignal.timeout(timeoutMs);
    const ask = (service: string, request: Promise<unknown>) =>
      request.catch((error: Error) => {
        throw new Error(abortSignal.aborted ? `${service} did not answer within ${timeoutMs} ms` : `${service}: ${error.message}`);
      });
    await Promise.all([ask('Table service', this.tableService.getProperties({ abortSignal })), ask('Blob service', this.blobService.getProperties({ abortSignal }))]);
  }

  private async createTable(name: string): Promise<TableClient> {
    const client = this.tableClient(name);
    try {
      await client.createTable();
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    return client;
  }
}
