import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { isNotFound, type Bus, type Principal, type Runtime } from '@eventloom/core';
import type { Logger } from 'pino';

/** Every consumer key starts with this, so the gateway knows it from a JWT at a glance. */
export const keyPrefix = 'elk_';
/** Revocations on the bus: every gateway drops the key from its cache at once. */
export const revokedChannel = 'eventloom:consumers:key-revoked';

export interface ConsumerKey {
  id: string;
  name: string;
  /** Context names, or `*` for all. */
  contexts: string[];
  /** The first characters of the secret, to tell keys apart in a list (not enough to use it). */
  hint: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
}

interface KeyRow {
  partitionKey: string;
  rowKey: string;
  id: string;
  name: string;
  contexts: string;
  hint: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
}

const partition = 'keys';
const positiveTtlMs = 60_000;
const negativeTtlMs = 5_000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function principalOf(key: ConsumerKey): Principal {
  return { sub: `key:${key.id}`, role: 'consumer', name: key.name, contexts: key.contexts };
}

/**
 * Consumer keys: a random secret shown once at creation; the table keeps only its
 * sha256 (as the row key, so checking a key is one point read), the scopes and the
 * dates. Checked keys are cached for a minute; a revocation is announced on the bus
 * and drops the key from every gateway's cache, so it stops working everywhere at once.
 */
export class ConsumerKeys {
  private tableClient: Promise<TableClient> | undefined;
  private readonly cache = new Map<string, { key: ConsumerKey | undefined; until: number }>();

  private readonly runtime: Runtime;
  private readonly log: Logger;

  constructor(runtime: Runtime, log: Logger) {
    this.runtime = runtime;
    this.log = log;
  }

  /** Follows revocations from other gateways. */
  async listen(bus: Bus): Promise<() => Promise<void>> {
    return bus.subscribe(revokedChannel, (message) => {
      const { hash } = message as { hash?: string };
      if (typeof hash === 'string') this.cache.delete(hash);
    });
  }

  async create(input: { name: string; contexts: string[] }, createdBy: string): Promise<{ key: ConsumerKey; secret: string }> {
    const secret = `${keyPrefix}${randomBytes(32).toString('base64url')}`;
    const key: ConsumerKey = {
      id: randomUUID(),
      name: input.name,
      contexts: [...new Set(input.contexts)].sort(),
      hint: secret.slice(0, keyPrefix.length + 6),
      createdAt: new Date().toISOString(),
      createdBy,
    };
    await (await this.table()).createEntity<KeyRow>({ partitionKey: partition, rowKey: hashSecret(secret), ...key, contexts: JSON.stringify(key.contexts) });
    this.log.info({ keyId: key.id, contexts: key.contexts, by: createdBy }, 'consumer key created');
    return { key, secret };
  }

  async list(): Promise<ConsumerKey[]> {
    const keys: ConsumerKey[] = [];
    const rows = (await this.table()).listEntities<KeyRow>({ queryOptions: { filter: odata`PartitionKey eq ${partition}` } });
    for await (const row of rows) keys.push(fromRow(row));
    return keys.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async get(id: string): Promise<ConsumerKey | undefined> {
    const row = await this.rowById(id);
    return row ? fromRow(row) : undefined;
  }

  /** Marks the key revoked (kept for the record) and tells every gateway. Idempotent. */
  async revoke(id: string, by: string): Promise<ConsumerKey | undefined> {
    const row = await this.rowById(id);
    if (!row) return undefined;
    if (!row.revokedAt) {
      row.revokedAt = new Date().toISOString();
      await (await this.table()).updateEntity({ partitionKey: row.partitionKey, rowKey: row.rowKey, revokedAt: row.revokedAt }, 'Merge');
      this.log.info({ keyId: id, by }, 'consumer key revoked');
    }
    this.cache.delete(row.rowKey);
    await this.runtime.bus.publish(revokedChannel, { hash: row.rowKey, id });
    return fromRow(row);
  }

  /** The key a secret belongs to, if it exists and is not revoked. */
  async verify(secret: string): Promise<ConsumerKey | undefined> {
    const hash = hashSecret(secret);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.key;
    let key: ConsumerKey | undefined;
    try {
      const row = await (await this.table()).getEntity<KeyRow>(partition, hash);
      key = row.revokedAt ? undefined : fromRow(row);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { key, until: Date.now() + (key ? positiveTtlMs : negativeTtlMs) });
    return key;
  }

  private async rowById(id: string): Promise<KeyRow | undefined> {
    const rows = (await this.table()).listEntities<KeyRow>({ queryOptions: { filter: odata`PartitionKey eq ${partition} and id eq ${id}` } });
    for await (const row of rows) return row;
    return undefined;
  }

  private table(): Promise<TableClient> {
    this.tableClient ??= this.runtime.storage.table('consumers', 'Keys');
    return this.tableClient;
  }
}

function fromRow(row: KeyRow): ConsumerKey {
  return {
    id: row.id,
    name: row.name,
    contexts: JSON.parse(row.contexts) as string[],
    hint: row.hint,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    ...(row.revokedAt ? { revokedAt: row.revokedAt } : {}),
  };
}
