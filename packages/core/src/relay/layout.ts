import type { ContainerClient } from '@azure/storage-blob';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.ts';
import type { EventStore } from '../store/event-store.ts';
import { checkpointBlob, readJson, type ProjectionCheckpoint } from '../projection/generations.ts';
import { isConflict, isPreconditionFailed, isTransient, type Storage } from '../store/storage.ts';
import { BlobLease } from '../worker/blob-lease.ts';
import { Feed } from './feed.ts';
import { MergedFeed, MergeJournal } from './merged-feed.ts';
import { Merger } from './merger.ts';
import { Relay } from './relay.ts';

/**
 * How a context's feed is laid out in its store: how many partitions, and the counts it
 * had before it grew. The definition says how many partitions it wants; the store says
 * how many its rows were written with. They must agree before a relay places anything.
 */
export interface FeedLayout {
  partitions: number;
  /** Earlier partition counts, oldest first (empty for a feed that never grew). */
  before: number[];
}

import { mergerLeaseName, relayLeaseName } from './lease-names.ts';

export { mergerLeaseName, relayLeaseName };

const blobName = 'feed-layout.json';

/** The store's layout and the definition disagree in a way no retry mends. */
export class FeedLayoutError extends Error {}

export interface LayoutParts {
  context: string;
  storage: Storage;
  store: EventStore;
  bus: Bus;
  log: Logger;
  leaseSeconds: number;
  /** How long to wait for the old layout's leases (its workers still running) before giving up. */
  waitMs?: number;
  /** The context's partitioned projections: once they have run, they pin the partition count. */
  partitionedProjections?: string[];
}

/**
 * Brings the store's layout to the partitions the definition wants, once, before any
 * relay of this process starts: records it on first use, grows it when the definition
 * asks for more (see growFeed), refuses fewer. A store from before layouts existed has
 * one partition if its feed holds anything.
 */
export async function settleFeedLayout(parts: LayoutParts, wanted: number): Promise<FeedLayout> {
  const container = await parts.storage.container(parts.context);
  const deadline = performance.now() + (parts.waitMs ?? parts.leaseSeconds * 2000 + 5000);
  for (;;) {
    try {
      const settled = await settleOnce(parts, container, wanted, deadline);
      if (settled) return settled;
    } catch (error) {
      // Storage trouble on the way: try again while there is time (a refusal is no trouble).
      if (error instanceof FeedLayoutError || !isTransient(error) || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function settleOnce(parts: LayoutParts, container: ContainerClient, wanted: number, deadline: number): Promise<FeedLayout | undefined> {
  {
    const found = await readLayout(container);
    if (!found) {
      const legacy = (await new Feed(parts.storage, parts.context, 0).head()) > 0;
      const layout: FeedLayout = legacy ? { partitions: 1, before: [] } : { partitions: wanted, before: [] };
      if ((await writeLayout(container, layout, undefined)) && layout.partitions === wanted) return layout;
      return undefined;
    }
    const { layout, etag } = found;
    if (layout.partitions === wanted) return layout;
    if (wanted < layout.partitions) {
      throw new FeedLayoutError(`context ${parts.context}: its feed has ${layout.partitions} partitions and the definition asks for ${wanted}; a feed grows, it never shrinks`);
    }
    await assertNotPinned(parts, container, layout.partitions, wanted);
    return growFeed(parts, container, layout, etag, wanted, deadline);
  }
}

/**
 * A partitioned projection's rows are fenced by its partitions' seqs, and growth moves
 * streams to partitions with seqs of their own: such a projection that has run would
 * skip the moved streams' new events. So it pins the partition count; a projection of
 * another name starts from nothing and runs at any count.
 */
async function assertNotPinned(parts: LayoutParts, container: ContainerClient, from: number, wanted: number): Promise<void> {
  const pinning: string[] = [];
  for (const name of parts.partitionedProjections ?? []) {
    const saved = (await readJson<ProjectionCheckpoint>(container, checkpointBlob(name)))?.value;
    if (saved && (saved.seq > 0 || saved.shadow)) pinning.push(name);
  }
  if (pinning.length === 0) return;
  throw new FeedLayoutError(
    `context ${parts.context}: its feed cannot grow from ${from} to ${wanted} partitions while partitioned projection${pinning.length > 1 ? 's' : ''} ${pinning.join(', ')} ` +
      `(which ran at ${from}) ${pinning.length > 1 ? 'keep their' : 'keeps its'} rows by partition: keep ${from} partitions, or rename ${pinning.length > 1 ? 'them' : 'it'} in the same change (a renamed projection fills from the start at the new count)`,
  );
}

/**
 * Grows a feed from P to P' partitions without rewriting anything: with every lease of
 * the old layout held (its relays and merger stopped, wherever they ran), each old
 * partition's relay recovers and hands its active streams' cursors to the streams; the
 * merger records every entry placed so far in the merged order; then the new layout is
 * written. The new layout's relays continue each stream from the cursor it left, and the
 * merged order of everything before the growth is what it was (an unpartitioned feed's
 * seqs stay its seqs), so no consumer's position moves.
 */
async function growFeed(parts: LayoutParts, container: ContainerClient, old: FeedLayout, etag: string, wanted: number, deadline: number): Promise<FeedLayout | undefined> {
  const { context, storage, store, bus, log } = parts;
  const partitions = Array.from({ length: old.partitions }, (_, p) => new Feed(storage, context, p));
  const leases = [...partitions.map((feed) => new BlobLease(container, relayLeaseName(feed.partition), parts.leaseSeconds)), new BlobLease(container, mergerLeaseName, parts.leaseSeconds)];
  const holder = `growing the feed to ${wanted} partitions`;
  for (;;) {
    const taken: BlobLease[] = [];
    for (const lease of leases) {
      if (!(await lease.tryAcquire(holder))) break;
      taken.push(lease);
    }
    if (taken.length === leases.length) break;
    await Promise.all(taken.map((lease) => lease.release()));
    // Someone else may have grown it meanwhile.
    const now = await readLayout(container);
    if (now && now.etag !== etag) return undefined;
    if (performance.now() > deadline) {
      const busy = leases[taken.length]!;
      const sight = await busy.inspect();
      throw new FeedLayoutError(
        `context ${context}: cannot grow its feed from ${old.partitions} to ${wanted} partitions while lease ${busy.name} is held${sight.leased && sight.holder ? ` by ${sight.holder}` : ''}: stop the workers that run the old layout, then start again`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  try {
    const current = await readLayout(container);
    if (current?.etag !== etag) return undefined;
    log.warn({ context, from: old.partitions, to: wanted }, 'growing the feed: handing over the old partitions');
    for (const feed of partitions) {
      const relay = new Relay({ store, feed, lease: leases[feed.partition]!, bus, log }, { partition: { index: feed.partition, of: old.partitions }, pristineNever: true });
      await relay.start();
      await relay.handOver();
    }
    const merger = new Merger({ feed: new MergedFeed(context, partitions, new MergeJournal(storage, context)), lease: leases[leases.length - 1]!, bus, log });
    await merger.start();
    while (await merger.step()) {
      // every entry of the old layout enters the merged order before any of the new one
    }
    await merger.drain();
    const grown: FeedLayout = { partitions: wanted, before: [...old.before, old.partitions] };
    if (!(await writeLayout(container, grown, etag))) return undefined;
    log.warn({ context, from: old.partitions, to: wanted, mergedHead: merger.head }, 'feed grown');
    return grown;
  } finally {
    await Promise.all(leases.map((lease) => lease.release()));
  }
}

async function readLayout(container: ContainerClient): Promise<{ layout: FeedLayout; etag: string } | undefined> {
  const read = await readJson<FeedLayout>(container, blobName);
  return read && { layout: read.value, etag: read.etag };
}

/** Writes the layout over the version read (or as new); false when someone else wrote first. */
async function writeLayout(container: ContainerClient, layout: FeedLayout, etag: string | undefined): Promise<boolean> {
  const body = JSON.stringify(layout);
  try {
    await container.getBlockBlobClient(blobName).upload(body, Buffer.byteLength(body), { conditions: etag ? { ifMatch: etag } : { ifNoneMatch: '*' } });
    return true;
  } catch (error) {
    if (isConflict(error) || isPreconditionFailed(error)) return false;
    throw error;
  }
}
