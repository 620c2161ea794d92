import type { ContainerClient } from '@azure/storage-blob';
import { isNotFound, readBlobText } from './storage.ts';

export interface Snapshot<TState> {
  version: number;
  /** occurredAt of the event at `version`. */
  at: string;
  state: TState;
}

/**
 * Aggregate state saved every N events in Blob, so loading a long stream reads one
 * blob and the events after it instead of replaying the whole stream.
 */
export class Snapshots {
  private readonly container: () => Promise<ContainerClient>;

  constructor(container: () => Promise<ContainerClient>) {
    this.container = container;
  }

  private async blob(aggregate: string, stream: string) {
    return (await this.container()).getBlockBlobClient(`snapshots/${aggregate}/${encodeURIComponent(stream)}.json`);
  }

  async load<TState>(aggregate: string, stream: string): Promise<Snapshot<TState> | undefined> {
    try {
      return JSON.parse(await readBlobText(await this.blob(aggregate, stream))) as Snapshot<TState>;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async save<TState>(aggregate: string, stream: string, snapshot: Snapshot<TState>): Promise<void> {
    const body = JSON.stringify(snapshot);
    await (await this.blob(aggregate, stream)).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }
}
