import { PublishedContracts, type ContextDefinition, type FeedReader, type FeedEntry, type PublishedContract, type Runtime } from '@eventloom/core';

/** A feed entry as the context publishes it: its contract's type, version and data. */
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
 * What a context publishes, out of its feed: only events its contracts are made from
 * appear, each as its contract type. Rows are filtered by their `type` column (the
 * internal type) before anything is decoded, so unpublished events cost one row read
 * each and never a claim-check download or an upcast. A contract's mapping that throws
 * or breaks the contract's schema fails the read (ContractMappingError): the feed stops
 * at that event, loudly, rather than skip it or send it malformed.
 */
export class PublishedFeed {
  readonly context: string;
  /** By internal type (what feed rows carry). */
  readonly contracts: PublishedContracts;
  private readonly runtime: Runtime;
  private feedReader: FeedReader | undefined;

  constructor(runtime: Runtime, definition: ContextDefinition) {
    this.runtime = runtime;
    this.context = definition.name;
    this.contracts = new PublishedContracts(definition);
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
        const contract = this.contracts.contractOf(row.type);
        if (contract) entries.push({ context: this.context, contract, entry: this.contracts.toPublished(await feed.decode(row)) });
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
