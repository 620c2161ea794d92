import { randomUUID } from 'node:crypto';
import type { BlobLeaseClient, BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { isConflict, isNotFound, isPreconditionFailed, readBlobText, statusOf } from '../store/storage.ts';

/**
 * Ownership of one worker role (a context's relay, one projection) through a Blob
 * lease, à la the Event Hubs blob checkpoint store. The leased blob also holds the
 * worker's durable state, written only with the lease id, so a worker that lost its
 * lease cannot overwrite its successor's state.
 */
export class BlobLease {
  readonly name: string;
  private readonly blob: BlockBlobClient;
  private readonly lease: BlobLeaseClient;
  private readonly durationSeconds: number;
  private heldUntil = 0;
  /** The name this process gave itself on the blob while it holds the lease. */
  private holder: string | undefined;

  constructor(container: ContainerClient, name: string, durationSeconds = 15) {
    this.name = name;
    this.blob = container.getBlockBlobClient(`leases/${name}.json`);
    this.lease = this.blob.getBlobLeaseClient(randomUUID());
    this.durationSeconds = durationSeconds;
  }

  get renewEveryMs(): number {
    return (this.durationSeconds * 1000) / 3;
  }

  /** True while the lease is ours with a safety margin for clocks and slow requests. */
  get held(): boolean {
    return performance.now() < this.heldUntil;
  }

  /**
   * Takes the lease if nobody holds it. `holder` names this process on the blob (its
   * metadata, written under the lease), so that others can tell when the holder is gone.
   */
  async tryAcquire(holder?: string): Promise<boolean> {
    await this.ensureBlob();
    const started = performance.now();
    try {
      await this.lease.acquireLease(this.durationSeconds);
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
    this.heldUntil = started + this.durationSeconds * 1000 * 0.8;
    this.holder = holder;
    if (holder !== undefined) {
      try {
        await this.blob.setMetadata({ holder }, { conditions: { leaseId: this.lease.leaseId } });
      } catch (error) {
        // Unnamed, it could be broken as a dead holder's: give it back and try again later.
        await this.release();
        if (isPreconditionFailed(error) || isConflict(error)) return false;
        throw error;
      }
    }
    return true;
  }

  /** Who holds the lease now, as the blob says (one request). */
  async inspect(): Promise<LeaseSight> {
    try {
      const properties = await this.blob.getProperties();
      if (properties.leaseState !== 'leased') return { leased: false };
      return { leased: true, holder: properties.metadata?.holder, etag: properties.etag };
    } catch (error) {
      if (isNotFound(error)) return { leased: false };
      throw error;
    }
  }

  /**
   * Breaks the lease of a holder seen gone, at once, unless the blob changed since it was
   * seen (a new holder named itself): a new holder's lease is never broken for an old
   * one's death. The holder's late writes are fenced by the lease id.
   */
  async breakIfUnchanged(etag: string): Promise<boolean> {
    try {
      await this.blob.getBlobLeaseClient().breakLease(0, { conditions: { ifMatch: etag } });
      return true;
    } catch (error) {
      if (isPreconditionFailed(error) || isConflict(error) || isNotFound(error)) return false;
      throw error;
    }
  }

  async renew(): Promise<boolean> {
    const started = performance.now();
    try {
      await this.lease.renewLease();
      this.heldUntil = started + this.durationSeconds * 1000 * 0.8;
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412 || status === 404) {
        this.heldUntil = 0;
        return false;
      }
      throw error;
    }
  }

  async release(): Promise<void> {
    if (this.heldUntil === 0) return;
    this.heldUntil = 0;
    await this.lease.releaseLease().catch(() => undefined);
  }

  async read<T>(): Promise<T | undefined> {
    try {
      const text = await readBlobText(this.blob);
      return text ? (JSON.parse(text) as T) : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Writes state under the lease; throws LeaseLostError when another worker owns it. */
  async write(value: unknown): Promise<void> {
    const body = JSON.stringify(value);
    try {
      // A put replaces the metadata: the holder's name goes with every write.
      await this.blob.upload(body, Buffer.byteLength(body), { conditions: { leaseId: this.lease.leaseId }, ...(this.holder ? { metadata: { holder: this.holder } } : {}) });
    } catch (error) {
      if (isPreconditionFailed(error) || isConflict(error)) {
        this.heldUntil = 0;
        throw new LeaseLostError(this.name);
      }
      throw error;
    }
  }

  private async ensureBlob(): Promise<void> {
    try {
      await this.blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (error) {
      // Exists already (409/412), or is leased by another worker right now (412).
      if (!isConflict(error) && !isPreconditionFailed(error)) throw error;
    }
  }
}

export type LeaseSight = { leased: false } | { leased: true; holder: string | undefined; etag: string | undefined };

export class LeaseLostError extends Error {
  constructor(name: string) {
    super(`lease ${name} is held by another worker`);
    this.name = 'LeaseLostError';
  }
}
