import { randomUUID } from 'node:crypto';
import { compareLogIds, type Bus, type BusHandler, type LogEntry, type LogRead } from './bus.ts';

/** Single-process mode: the same signals, delivered in this process only. */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;

  /** One process, one store: names need no namespace. */
  key(name: string): string {
    return name;
  }
  private readonly handlers = new Map<string, Set<BusHandler>>();

  async publish(channel: string, message: unknown): Promise<void> {
    const handlers = this.handlers.get(channel);
    if (!handlers) return;
    // Deliver asynchronously like Redis would, and on a copy so handlers cannot share state.
    const copy = structuredClone(message);
    queueMicrotask(() => {
      for (const handler of handlers) handler(copy);
    });
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    let handlers = this.handlers.get(channel);
    if (!handlers) this.handlers.set(channel, (handlers = new Set()));
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
    };
  }

  private readonly memos = new Map<string, { value: unknown; until: number }>();
  private readonly logs = new Map<string, LogEntry[]>();
  private readonly epoch = randomUUID();
  private nextId = 1;
  static readonly logLimit = 200_000;

  async appendLog(log: string, message: unknown, wake: string): Promise<void> {
    let entries = this.logs.get(log);
    if (!entries) this.logs.set(log, (entries = []));
    entries.push({ id: `${this.nextId++}-0`, message: structuredClone(message) });
    if (entries.length > MemoryBus.logLimit) entries.splice(0, entries.length - MemoryBus.logLimit);
    await this.publish(wake, {});
  }

  async readLog(log: string, after: string | undefined, count: number, withFirst = false): Promise<LogRead> {
    const entries = this.logs.get(log) ?? [];
    const start = after === undefined ? 0 : entries.findIndex((e) => compareLogIds(e.id, after) > 0);
    const slice = start < 0 ? [] : entries.slice(start, start + count);
    return { entries: slice.map((e) => ({ id: e.id, message: structuredClone(e.message) })), epoch: this.epoch, ...(withFirst && entries[0] ? { first: entries[0].id } : {}) };
  }

  async logEnd(log: string): Promise<{ id?: string; epoch: string }> {
    const entries = this.logs.get(log) ?? [];
    const newest = entries[entries.length - 1];
    return { epoch: this.epoch, ...(newest ? { id: newest.id } : {}) };
  }

  async remember(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.memos.set(key, { value: structuredClone(value), until: Date.now() + ttlSeconds * 1000 });
    if (this.memos.size > 100_000) {
      const now = Date.now();
      for (const [k, memo] of this.memos) if (memo.until < now) this.memos.delete(k);
    }
  }

  async recall<T>(key: string): Promise<T | undefined> {
    const memo = this.memos.get(key);
    if (!memo || memo.until < Date.now()) return undefined;
    return structuredClone(memo.value) as T;
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.memos.clear();
    this.logs.clear();
  }
}
