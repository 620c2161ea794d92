/**
 * Published contracts (seed 003): what a context promises other systems, apart from
 * the internal events it stores. A contract is published either as the internal event
 * itself (`{ event: Deposited, style }`) or as a contract type of its own with an
 * explicit mapping (`publish(DepositMade, { from: Deposited, map, style })`), so the
 * internal event can change while consumers keep reading the same type and shape.
 */
import type { EventDefinition } from '../events/define-event.ts';
import type { EventEnvelope } from '../events/envelope.ts';

/** `notification`: thin, with a link; `state` / `delta`: event-carried state transfer. */
export type PublishStyle = 'notification' | 'state' | 'delta';

/** An event this context publishes to others (seed 003: notification or ECST). */
export interface PublishedContract {
  /** The type consumers see: its name, version and schema. */
  // biome-ignore lint: each event has its own data type
  event: EventDefinition<string, any>;
  /** The internal event it is made from; absent: `event` itself is published as is. */
  // biome-ignore lint: each event has its own data type
  from?: EventDefinition<string, any>;
  /** The internal event's data (at its current version) as the contract's; checked against `event`'s schema. */
  map?: (data: never, envelope: EventEnvelope) => unknown;
  style: PublishStyle;
  /** Path (under the context) of the full resource, for notifications; gets the published data. */
  link?: (data: unknown, stream: string, event: EventEnvelope) => string;
  description?: string;
}

export interface PublishOptions<TFrom, TData> {
  /** The internal event the contract is made from. */
  from: EventDefinition<string, TFrom>;
  /** Internal data (upcast to its current version) → contract data. Must be pure: the feed calls it at every read. */
  map: (data: TFrom, envelope: EventEnvelope<TFrom>) => TData;
  style: PublishStyle;
  link?: (data: TData, stream: string, event: EventEnvelope<TData>) => string;
  description?: string;
}

/** Publishes `contract` (its own type, version and schema) made from an internal event by `map`. */
export function publish<TFrom, TData>(contract: EventDefinition<string, TData>, options: PublishOptions<TFrom, TData>): PublishedContract {
  return {
    event: contract,
    from: options.from,
    map: options.map as PublishedContract['map'],
    style: options.style,
    ...(options.link ? { link: options.link as PublishedContract['link'] } : {}),
    ...(options.description ? { description: options.description } : {}),
  };
}

/** The internal event type a contract is read from. */
export const sourceType = (contract: PublishedContract): string => (contract.from ?? contract.event).type;

/** A mapping that threw or produced data outside its contract's schema: nothing malformed is published. */
export class ContractMappingError extends Error {
  readonly context: string;
  readonly eventId: string;
  readonly seq: number | undefined;

  constructor(context: string, contract: PublishedContract, entry: EventEnvelope & { seq?: number }, cause: unknown) {
    const at = entry.seq === undefined ? entry.id : `${entry.id}, seq ${entry.seq}`;
    super(`${context}: ${contract.event.type} v${contract.event.version} from ${sourceType(contract)} (event ${at}) cannot be published: ${(cause as Error).message}`, { cause });
    this.name = 'ContractMappingError';
    this.context = context;
    this.eventId = entry.id;
    this.seq = entry.seq;
  }
}

/**
 * A context's published contracts, for whoever reads its feed from outside (the
 * gateway's CloudEvents feed and webhooks, other contexts' reactions, processes and
 * projections): stored rows are filtered by their internal type, and what is handed on
 * is the contract's type, version and data.
 */
export class PublishedContracts {
  readonly context: string;
  /** Contract types consumers name. */
  readonly types: ReadonlySet<string>;
  private readonly bySource: ReadonlyMap<string, PublishedContract>;
  private readonly byType: ReadonlyMap<string, PublishedContract>;

  constructor(definition: { name: string; contracts?: { published?: PublishedContract[] } }) {
    const published = definition.contracts?.published ?? [];
    this.context = definition.name;
    this.bySource = new Map(published.map((contract) => [sourceType(contract), contract]));
    this.byType = new Map(published.map((contract) => [contract.event.type, contract]));
    this.types = new Set(this.byType.keys());
  }

  get size(): number {
    return this.bySource.size;
  }

  /** Internal types that are published (what a feed row's `type` is matched against). */
  get sources(): ReadonlySet<string> {
    return new Set(this.bySource.keys());
  }

  /** The contract a stored event of this internal type is published as. */
  contractOf(internalType: string): PublishedContract | undefined {
    return this.bySource.get(internalType);
  }

  /** The internal types behind these contract types (names not published are left out). */
  sourceTypes(contractTypes: readonly string[]): string[] {
    return contractTypes.flatMap((type) => {
      const contract = this.byType.get(type);
      return contract ? [sourceType(contract)] : [];
    });
  }

  /**
   * A stored entry as its contract publishes it: upcast to the internal event's current
   * version, mapped, and checked against the contract's schema. Throws
   * ContractMappingError rather than hand on anything malformed; unpublished types throw too.
   */
  toPublished<T extends EventEnvelope>(entry: T): T {
    const contract = this.bySource.get(entry.type);
    if (!contract) throw new Error(`${this.context} does not publish ${entry.type}`);
    return publishedEntry(this.context, contract, entry);
  }
}

/** One stored entry as `contract` publishes it (see PublishedContracts.toPublished). */
export function publishedEntry<T extends EventEnvelope>(context: string, contract: PublishedContract, entry: T): T {
  const source = contract.from ?? contract.event;
  const current = entry.schemaVersion === source.version ? entry : { ...entry, data: source.read(entry.schemaVersion, entry.data), schemaVersion: source.version };
  if (!contract.map) return current;
  let data: unknown;
  try {
    data = contract.event.schema.parse(contract.map(current.data as never, current));
  } catch (error) {
    throw new ContractMappingError(context, contract, entry, error);
  }
  return { ...current, type: contract.event.type, schemaVersion: contract.event.version, data };
}
