/**
 * Whether a feed reader that was woken needs to ask the table. A reader whose last read
 * came back short (it reached the end of what the table held), that has applied every
 * entry it was told of (each notice's head) and asked within `freshMs`, skips the read:
 * the bus notice that follows this process's own, a step asked for a deferred save, an
 * admin's request. Such a read found nothing yet cost a storage request in front of the
 * next event. A reader working through a backlog (full batches) always reads on, and its
 * idle poll comes after a pause longer than `freshMs`, so entries nobody told it of are
 * found there, as before.
 */
export class ToldHead {
  private head = 0;
  private askedAt = Number.NEGATIVE_INFINITY;
  /** The last read came back short: the reader was at the end of the table then. */
  private atEnd = false;
  private readonly freshMs: number;

  /** `freshMs` 0: always ask (a reader run by hand, without notices). */
  constructor(freshMs: number) {
    this.freshMs = freshMs;
  }

  /** A notice: the feed holds entries up to `head`. */
  told(head: number): void {
    if (head > this.head) this.head = head;
  }

  /** The entries after `position` from `read` (at most `limit`), or none when the reader may skip asking (above). */
  async read<T>(position: number, limit: number, read: () => Promise<T[]>): Promise<T[]> {
    const now = performance.now();
    if (this.atEnd && position >= this.head && now - this.askedAt < this.freshMs) return [];
    this.askedAt = now;
    const entries = await read();
    this.atEnd = entries.length < limit;
    return entries;
  }

  /** After a restart or a takeover: ask at once. */
  forget(): void {
    this.askedAt = Number.NEGATIVE_INFINITY;
    this.atEnd = false;
  }
}
