import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { Bus, BusHandler, LogRead } from './bus.ts';

/** Commit hints kept per context (approximately): enough for a relay outage of minutes. */
const logLimit = 200_000;

/**
 * Pub/sub over Redis. One connection publishes, one subscribes (Redis requires a
 * dedicated subscriber). ioredis reconnects and resubscribes on its own; while Redis
 * is away, publishes are dropped (the store is the truth and workers poll), so a
 * Redis restart costs latency, never data.
 *
 * Channel names are put under a namespace (the table prefix): runtimes that share a
 * Redis but not tables must never hear each other's commit hints, or a relay would
 * place another store's hinted rows in its own feed.
 */
export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<BusHandler>>();
  private readonly log: Logger;
  private readonly namespace: string;

  private constructor(url: string, log: Logger, namespace: string) {
    this.log = log;
    this.namespace = namespace;
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1000, retryStrategy: (times: number) => Math.min(times * 200, 2000) };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true, maxRetriesPerRequest: null });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error) => log.debug({ err: error.message }, 'redis connection error'));
    }
    this.subscriber.on('ready', () => log.debug('redis subscriber ready'));
    this.subscriber.on('message', (channel: string, raw: string) => {
      const handlers = this.handlers.get(channel);
      if (!handlers) return;
      let message: unknown;
      try {
        message = JSON.parse(raw);
      } catch {
        return;
      }
      for (const handler of handlers) handler(message);
    });
  }

  /** Connects both clients, or throws when Redis does not answer. */
  static async connect(url: string, log: Logger, namespace = ''): Promise<RedisBus> {
    const bus = new RedisBus(url, log, namespace);
    try {
      await Promise.all([bus.publisher.connect(), bus.subscriber.connect()]);
      await bus.publisher.ping();
    } catch (error) {
      bus.publisher.disconnect();
      bus.subscriber.disconnect();
      throw error;
    }
    return bus;
  }

  /** The Redis channel for a bus channel. */
  private wire(channel: string): string {
    return this.namespace ? `${this.namespace}|${channel}` : channel;
  }

  async publish(channel: string, message: unknown): Promise<void> {
    try {
      await this.publisher.publish(this.wire(channel), JSON.stringify(message));
    } catch (error) {
      this.log.debug({ err: (error as Error).message, channel }, 'bus publish dropped');
    }
  }

  async subscribe(busChannel: string, handler: BusHandler): Promise<() => Promise<void>> {
    const channel = this.wire(busChannel);
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      this.handlers.set(channel, (handlers = new Set()));
      await this.subscriber.subscribe(channel);
    }
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.handlers.get(channel) === handlers) {
        this.handlers.delete(channel);
        await this.subscriber.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  async appendLog(log: string, message: unknown, wake: string): Promise<void> {
    const key = this.wire(log);
    try {
      await this.publisher
        .multi()
        .set(`${key}:epoch`, randomUUID(), 'NX')
        .xadd(key, 'MAXLEN', '~', String(logLimit), '*', 'm', JSON.stringify(message))
        .publish(this.wire(wake), '{}')
        .exec();
    } catch (error) {
      this.log.debug({ err: (error as Error).message, log }, 'commit log append dropped');
    }
  }

  /** Throws when Redis does not answer: the relay then falls back to reading streams. */
  async readLog(log: string, after: string | undefined, count: number, withFirst = false): Promise<LogRead> {
    const key = this.wire(log);
    const pipeline = this.publisher.pipeline().get(`${key}:epoch`).xrange(key, after === undefined ? '-' : `(${after}`, '+', 'COUNT', count);
    if (withFirst) pipeline.xrange(key, '-', '+', 'COUNT', 1);
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    const epoch = (results[0]?.[1] as string | null) ?? 'none';
    const raw = (results[1]?.[1] as [string, string[]][] | undefined) ?? [];
    const entries = raw.map(([id, fields]) => ({ id, message: JSON.parse(fields[1] ?? 'null') as unknown }));
    const firstRaw = withFirst ? ((results[2]?.[1] as [string, string[]][] | undefined) ?? []) : [];
    return { entries, epoch, ...(firstRaw[0] ? { first: firstRaw[0][0] } : {}) };
  }

  async remember(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    try {
      await this.publisher.set(this.wire(key), JSON.stringify(value), 'EX', ttlSeconds);
    } catch (error) {
      this.log.debug({ err: (error as Error).message, key }, 'memo not saved');
    }
  }

  async recall<T>(key: string): Promise<T | undefined> {
    try {
      const raw = await this.publisher.get(this.wire(key));
      return raw === null ? undefined : (JSON.parse(raw) as T);
    } catch {
      return undefined;
    }
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.publisher.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
