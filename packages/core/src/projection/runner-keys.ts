import type { ProjectionDefinition } from './define-projection.ts';

/**
 * A projection runs as one runner, or one per feed partition when it is partitioned.
 * Each runner has a key: the projection's name for the first (so an unpartitioned
 * projection's lease, checkpoint and dead letters keep their names), `{name}~p{p}` for
 * the others. The first runner's checkpoint names the generation readers use.
 */
export const runnerKey = (projection: string, partition: number): string => (partition === 0 ? projection : `${projection}~p${partition}`);

/** How many runners a projection has over a feed of `partitions` partitions. */
export const runnerCount = (definition: ProjectionDefinition, partitions: number): number => (definition.partitioned ? partitions : 1);

/** The keys of a projection's runners, first runner first. */
export function runnerKeys(definition: ProjectionDefinition, partitions: number): string[] {
  return Array.from({ length: runnerCount(definition, partitions) }, (_, p) => runnerKey(definition.name, p));
}

/** The projection a runner key belongs to, and its partition. */
export function parseRunnerKey(key: string): { projection: string; partition: number } {
  const match = /^(.*)~p(\d+)$/.exec(key);
  return match ? { projection: match[1]!, partition: Number(match[2]) } : { projection: key, partition: 0 };
}
