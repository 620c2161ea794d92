/**
 * How a context's feed is split: P partitions (a power of two up to 16), a stream always
 * in partition hash(stream) mod P. The hash is the one that spreads pending markers over
 * their 16 table partitions, so a feed partition's relay lists exactly the marker
 * partitions of its streams (m mod P = p) and nobody else's.
 */
export const markerPartitions = 16;
export const allowedPartitionCounts = [1, 2, 4, 8, 16] as const;

export interface FeedPartition {
  /** This partition's number, 0 ≤ index < of. */
  index: number;
  /** How many partitions the feed has. */
  of: number;
}

export const wholeFeed: FeedPartition = { index: 0, of: 1 };

/** A stable hash of a stream id (31-multiplier string hash, unsigned). */
export function streamHash(stream: string): number {
  let hash = 0;
  for (let i = 0; i < stream.length; i++) hash = (hash * 31 + stream.charCodeAt(i)) | 0;
  return hash >>> 0;
}

/** The feed partition a stream's events go to. */
export function partitionOf(stream: string, partitions: number): number {
  return (streamHash(stream) % markerPartitions) % partitions;
}

/** The pending-marker table partition of a stream. */
export function markerPartitionOf(stream: string): string {
  return `p${streamHash(stream) % markerPartitions}`;
}

/** The marker table partitions whose streams belong to a feed partition. */
export function markerPartitionsFor(partition: FeedPartition): string[] {
  const keys: string[] = [];
  for (let m = partition.index; m < markerPartitions; m += partition.of) keys.push(`p${m}`);
  return keys;
}

export function assertPartitionCount(context: string, partitions: number): void {
  if (!(allowedPartitionCounts as readonly number[]).includes(partitions)) {
    throw new Error(`context ${context}: feed.partitions must be one of ${allowedPartitionCounts.join(', ')} (got ${partitions})`);
  }
}
