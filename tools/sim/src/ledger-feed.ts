import { Feed, MergedFeed, MergeJournal, type FeedReader, type Storage } from '@eventloom/core';
import type { Random } from './random.ts';

/**
 * The ledger's feed as the checks read it: what consumers read (the merged order when the
 * feed is partitioned), and each partition as its relay writes it. Read straight from
 * storage, past the fault proxies.
 */

/** How many partitions a seed's ledger feed has: 1 often enough that the unpartitioned paths stay covered. */
export function drawPartitions(random: Random): number {
  return random.pick([1, 1, 1, 1, 2, 2, 2, 4, 4, 8]);
}

/** As a plan line or a report says it. */
export const partitionsText = (partitions: number) => (partitions === 1 ? '1 feed partition' : `${partitions} feed partitions`);

/** The feed's partitions, each with its own seqs 1..n. */
export function ledgerPartitions(storage: Storage, partitions: number): Feed[] {
  return Array.from({ length: partitions }, (_, p) => new Feed(storage, 'ledger', p));
}

/** The feed as consumers read it: partition 0 when unpartitioned, else the merger's order over the partitions. */
export function ledgerFeed(storage: Storage, partitions: number): FeedReader {
  const feeds = ledgerPartitions(storage, partitions);
  return partitions === 1 ? feeds[0]! : new MergedFeed('ledger', feeds, new MergeJournal(storage, 'ledger'));
}

/** The lease of a partition's relay, as the core names it (partition 0 keeps the unpartitioned feed's). */
export const relayLease = (partition: number) => (partition === 0 ? 'relay' : `relay-p${partition}`);

/** Every lease that writes the feed: a relay's per partition, and the merger's when there are several. */
export function feedLeases(partitions: number): string[] {
  return [...Array.from({ length: partitions }, (_, p) => relayLease(p)), ...(partitions > 1 ? ['merger'] : [])];
}
