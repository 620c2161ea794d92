import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AggregateDefinition } from '../command/define-aggregate.ts';
import { sourceType, type PublishedContract } from '../contracts/publish.ts';
import type { EventDefinition } from '../events/define-event.ts';
import type { AppEnv } from '../http/routes.ts';
import type { ProjectionDefinition } from '../projection/define-projection.ts';
import type { ProcessDefinition } from '../process/define-process.ts';
import type { ReactionDefinition } from '../reaction/define-reaction.ts';
import { assertPartitionCount } from '../relay/partitions.ts';
import type { ContextRuntime } from './context-runtime.ts';

export interface ConsumedContract {
  /** The producing context's name. */
  from: string;
  /** The published (contract) types read, as the producer names them in `contracts.published`. */
  events: string[];
}

export interface ContextDefinition {
  /** Lower-case letters and digits; used in URLs (`/api/{name}`) and table names. */
  name: string;
  title?: string;
  // biome-ignore lint: each event has its own data type
  events: EventDefinition<string, any>[];
  // biome-ignore lint: aggregates differ in state and command types
  aggregates: AggregateDefinition<any, any>[];
  projections: ProjectionDefinition[];
  contracts?: { published?: PublishedContract[]; consumed?: ConsumedContract[] };
  /** Adds the context's routes to its sub-app, mounted at `/api/{name}`. */
  routes?: (app: OpenAPIHono<AppEnv>, runtime: ContextRuntime) => void;
  /** Larger request bodies for named routes (path under the context → bytes); others get the gateway's limit. */
  bodyLimits?: Record<string, number>;
  /**
   * The feed's partitions (1, 2, 4, 8 or 16; default 1): each has its own leased relay
   * and Azure Table partitions, so a context's placement rate scales past one
   * partition's limit; consumers read one merged order (docs/architecture.md#partitioned-feeds).
   */
  feed?: { partitions?: number };
  /**
   * Process managers whose instances live in this context's store (orchestrated sagas:
   * docs/design/process-managers.md). Each is swept by one leased worker loop.
   */
  // biome-ignore lint: processes differ in state and start types
  processes?: ProcessDefinition<any, any>[];
  /**
   * Reactions to other contexts' published events (choreography: docs/sagas.md). Each
   * reads a source named in `contracts.consumed`, for events listed there.
   */
  reactions?: ReactionDefinition[];
  /** Runs once at `up` when the context's store is empty (demo data). */
  seed?: (runtime: ContextRuntime) => Promise<void>;
}

/** How many partitions a context's feed has. */
export function feedPartitions(definition: Pick<ContextDefinition, 'feed'>): number {
  return definition.feed?.partitions ?? 1;
}

const namePattern = /^[a-z][a-z0-9]{1,30}$/;
/** Paths under /api the gateway itself serves. */
const reservedNames = new Set(['live', 'auth', 'admin', 'docs', 'health', 'metrics']);

export function defineContext<const T extends ContextDefinition>(definition: T): T {
  if (!namePattern.test(definition.name)) {
    throw new Error(`context name "${definition.name}" must be 2-31 lower-case letters or digits, starting with a letter`);
  }
  if (reservedNames.has(definition.name)) {
    throw new Error(`context name "${definition.name}" is taken by the gateway (${[...reservedNames].join(', ')})`);
  }
  assertPartitionCount(definition.name, feedPartitions(definition));
  const types = new Set<string>();
  for (const event of definition.events) {
    if (types.has(event.type)) throw new Error(`context ${definition.name}: event type ${event.type} is defined twice`);
    types.add(event.type);
  }
  assertPublishable(definition.name, types, definition.contracts?.published ?? []);
  const processNames = new Set<string>();
  for (const process of definition.processes ?? []) {
    if (processNames.has(process.name)) throw new Error(`context ${definition.name}: process ${process.name} is defined twice`);
    if (process.context !== definition.name) throw new Error(`context ${definition.name}: process ${process.name} says it belongs to context ${process.context}`);
    processNames.add(process.name);
  }
  // Through contracts only: what a reaction or a process reads of another context is what this one says it consumes.
  const assertConsumed = (who: string, source: string, events: string[]) => {
    const consumed = definition.contracts?.consumed?.find((c) => c.from === source);
    const missing = events.filter((type) => !consumed?.events.includes(type));
    if (missing.length > 0) {
      throw new Error(`context ${definition.name}: ${who} reacts to ${missing.join(', ')} of ${source}; list ${missing.length > 1 ? 'them' : 'it'} in contracts.consumed (from: '${source}')`);
    }
  };
  for (const process of definition.processes ?? []) for (const listen of process.listens ?? []) assertConsumed(`process ${process.name}`, listen.source, listen.events);
  const reactionNames = new Set<string>();
  for (const reaction of definition.reactions ?? []) {
    if (reactionNames.has(reaction.name)) throw new Error(`context ${definition.name}: reaction ${reaction.name} is defined twice`);
    reactionNames.add(reaction.name);
    assertConsumed(`reaction ${reaction.name}`, reaction.source, reaction.events);
  }
  const names = new Set<string>();
  for (const projection of definition.projections) {
    if (names.has(projection.name)) throw new Error(`context ${definition.name}: projection ${projection.name} is defined twice`);
    names.add(projection.name);
  }
  return definition;
}

/** Each published contract is made from one of the context's events, and each event is published at most once. */
function assertPublishable(context: string, types: ReadonlySet<string>, published: readonly PublishedContract[]): void {
  const bySource = new Map<string, string>();
  const contractTypes = new Set<string>();
  for (const contract of published) {
    const source = sourceType(contract);
    if (!types.has(source)) throw new Error(`context ${context} publishes ${source}, which is not one of its events`);
    if (contract.from && contract.from !== contract.event && !contract.map) {
      throw new Error(`context ${context}: contract ${contract.event.type} from ${source} needs a map (use publish(...))`);
    }
    const earlier = bySource.get(source);
    if (earlier !== undefined) throw new Error(`context ${context}: ${source} is published twice (as ${earlier} and ${contract.event.type}); publish one contract per event`);
    if (contractTypes.has(contract.event.type)) throw new Error(`context ${context}: contract type ${contract.event.type} is published twice`);
    bySource.set(source, contract.event.type);
    contractTypes.add(contract.event.type);
  }
}
