import { channels, type Bus, type FeedNotice } from '@eventloom/core';

/**
 * Listens for a context's relay appends (FeedNotice on the bus). Subscribe before
 * reading the feed, then `next()` after finding nothing new: an append that lands
 * between the read and the wait is not missed, because it was already heard.
 */
export class FeedNotices {
  private heard = false;
  private waiter: (() => void) | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  private readonly types: ReadonlySet<string>;

  private constructor(types: ReadonlySet<string>) {
    this.types = types;
  }

  static async listen(bus: Bus, context: string, publishedTypes: ReadonlySet<string>): Promise<FeedNotices> {
    const notices = new FeedNotices(publishedTypes);
    notices.unsubscribe = await bus.subscribe(channels.feed(context), (message) => notices.onNotice(message as FeedNotice));
    return notices;
  }

  /** Resolves true when a published event was appended (since the last call), false on timeout or abort. */
  next(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.heard) {
      this.heard = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        this.waiter = undefined;
        this.heard = false;
        resolve(value);
      };
      const aborted = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      signal?.addEventListener('abort', aborted, { once: true });
      this.waiter = () => done(true);
    });
  }

  async close(): Promise<void> {
    this.waiter = undefined;
    await this.unsubscribe?.().catch(() => {});
  }

  private onNotice(notice: FeedNotice): void {
    // A notice without entries (or from an older relay) may still hold published events.
    const relevant = !notice.entries?.length || notice.entries.some((entry) => this.types.has(entry.type));
    if (!relevant) return;
    this.heard = true;
    this.waiter?.();
  }
}
