import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Bus, BusHandler } from './bus.ts';

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

  async remember(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    try {
      await this.publisher.set(key, JSON.stringify(value), 'EX', ttlSeconds);
    } catch (error) {
      this.log.debug({ err: (error as Error).message, key }, 'memo not saved');
    }
  }

  async recall<T>(key: string): Promise<T | undefined> {
    try {
      const raw = await this.publisher.get(key);
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
