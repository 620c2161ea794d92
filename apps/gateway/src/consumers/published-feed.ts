import { type ContextDefinition, type FeedReader, type FeedEntry, type PublishedContract, type Runtime } from '@eventloom/core';

/** A feed entry the context publishes, upcast to its event's current schema version. */
export interface PublishedEntry {
  context: string;
  contract: PublishedContract;
  entry: FeedEntry;
}

export interface PublishedPage {
  entries: PublishedEntry[];
  /** The last feed seq looked at: the next read starts after it, so skipped entries are never read again. */
  lastSeq: number;
  /** True when the scan reached the feed's head. */
  atHead: boolean;
}

export interface PublishedReadOptions {
  /** Rows read per round trip (default 500). */
  batch?: number;
  /** Stop after looking at this many rows, published or not (default 10,000), so one request stays short. */
  maxScan?: number;
}

/**
 * What a context publishes, out of its feed: only events its contract names appear.
 * Rows are filtered by their `type` column before anything is decoded, so internal
 * events cost one row read each and never a claim-check download or an upcast.
 */
export class PublishedFeed {
  readonly context: string;
  readonly contracts: ReadonlyMap<string, PublishedContract>;
  private readonly runtime: Runtime;
  private feedReader: FeedReader | undefined;

  constructor(runtime: Runtime, definition: ContextDefinition) {
    this.runtime = runtime;
    this.context = definition.name;
    this.contracts = new Map((definition.contracts?.published ?? []).map((contract) => [contract.event.type, contract]));
  }

  async read(afterSeq: number, limit: number, options: PublishedReadOptions = {}): Promise<PublishedPage> {
    const batch = options.batch ?? 500;
    const maxScan = options.maxScan ?? 10_000;
    const entries: PublishedEntry[] = [];
    let lastSeq = afterSeq;
    let scanned = 0;
    if (this.contracts.size === 0) return { entries, lastSeq, atHead: true };
    const feed = this.feed();
    while (entries.length < limit && scanned < maxScan) {
      const wanted = Math.min(batch, maxScan - scanned);
      const rows = await feed.rowsAfter(lastSeq, wanted);
      for (const row of rows) {
        scanned++;
        lastSeq = Number(row.seq);
        const contract = this.contracts.get(row.type);
        if (contract) entries.push({ context: this.context, contract, entry: upcast(contract, await feed.decode(row)) });
        if (entries.length >= limit) break;
      }
      const consumedAll = rows.length === 0 || lastSeq === Number(rows.at(-1)!.seq);
      if (rows.length < wanted && consumedAll) return { entries, lastSeq, atHead: true };
    }
    return { entries, lastSeq, atHead: false };
  }

  private feed(): FeedReader {
    this.feedReader ??= this.runtime.context(this.context).feed;
    return this.feedReader;
  }
}

function upcast(contract: PublishedContract, entry: FeedEntry): FeedEntry {
  const { event } = contract;
  if (entry.schemaVersion === event.version) return entry;
  return { ...entry, data: event.read(entry.schemaVersion, entry.data), schemaVersion: event.version };
}
