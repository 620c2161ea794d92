import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { Bus, BusHandler, LogRead } from './bus.ts';

/** Commit hints kept per context (approximately): enough for a relay outage of minutes. */
const logLimit = 200_000;
/** How often the subscriber connection is asked to answer (a hung one hears nothing). */
const subscriberCheckMs = 5000;

export interface RedisBusOptions {
  /** A command with no answer by then fails: a Redis that holds the connection but stops answering must not hang anyone. */
  commandTimeoutMs?: number;
}

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
  get redis(): Redis {
    return this.publisher;
  }
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<BusHandler>>();
  private readonly log: Logger;
  private readonly namespace: string;

  private readonly commandTimeoutMs: number;
  private checker: NodeJS.Timeout | undefined;

  private constructor(url: string, log: Logger, namespace: string, options: RedisBusOptions) {
    this.log = log;
    this.namespace = namespace;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 2000;
    const common = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1000, retryStrategy: (times: number) => Math.min(times * 200, 2000) };
    // Commands issued in one tick (a command's status, hint and wake-up) go out in one write.
    this.publisher = new Redis(url, { ...common, commandTimeout: this.commandTimeoutMs, enableAutoPipelining: true });
    this.subscriber = new Redis(url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null });
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
  static async connect(url: string, log: Logger, namespace = '', options: RedisBusOptions = {}): Promise<RedisBus> {
    const bus = new RedisBus(url, log, namespace, options);
    try {
      await Promise.all([bus.publisher.connect(), bus.subscriber.connect()]);
      await bus.publisher.ping();
    } catch (error) {
      bus.publisher.disconnect();
      bus.subscriber.disconnect();
      throw error;
    }
    bus.checker = setInterval(() => void bus.checkSubscriber(), subscriberCheckMs);
    bus.checker.unref();
    return bus;
  }

  /**
   * A subscriber on a connection that stays open but carries nothing would miss every
   * message from then on, silently: one that does not answer a PING in time is
   * reconnected (ioredis subscribes again on its own).
   */
  private async checkSubscriber(): Promise<void> {
    if (this.subscriber.status !== 'ready') return;
    const answered = await within(this.subscriber.ping(), this.commandTimeoutMs).then(
      () => true,
      (error: Error) => error.message !== timedOut,
    );
    if (!answered && this.checker) {
      this.log.warn('Redis subscriber connection does not answer; reconnecting');
      this.subscriber.disconnect(true);
    }
  }

  key(name: string): string {
    return this.namespace ? `${this.namespace}|${name}` : name;
  }

  async publish(channel: string, message: unknown): Promise<void> {
    try {
      await this.publisher.publish(this.key(channel), JSON.stringify(message));
    } catch (error) {
      this.log.debug({ err: (error as Error).message, channel }, 'bus publish dropped');
    }
  }

  async subscribe(busChannel: string, handler: BusHandler): Promise<() => Promise<void>> {
    const channel = this.key(busChannel);
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
        // Bounded: closing must not wait on a Redis that stopped answering.
        await within(this.subscriber.unsubscribe(channel), this.commandTimeoutMs).catch(() => undefined);
      }
    };
  }

  async appendLog(log: string, message: unknown, wake: string): Promise<void> {
    const key = this.key(log);
    try {
      await this.publisher
        .multi()
        .set(`${key}:epoch`, randomUUID(), 'NX')
        .xadd(key, 'MAXLEN', '~', String(logLimit), '*', 'm', JSON.stringify(message))
        .publish(this.key(wake), '{}')
        .exec();
    } catch (error) {
      this.log.debug({ err: (error as Error).message, log }, 'commit log append dropped');
    }
  }

  /** Throws when Redis does not answer: the relay then falls back to reading streams. */
  async readLog(log: string, after: string | undefined, count: number, withFirst = false): Promise<LogRead> {
    const key = this.key(log);
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

  async logEnd(log: string): Promise<{ id?: string; epoch: string }> {
    const key = this.key(log);
    const results = (await this.publisher.pipeline().get(`${key}:epoch`).xrevrange(key, '+', '-', 'COUNT', 1).exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    const epoch = (results[0]?.[1] as string | null) ?? 'none';
    const newest = (results[1]?.[1] as [string, string[]][] | undefined) ?? [];
    return { epoch, ...(newest[0] ? { id: newest[0][0] } : {}) };
  }

  async remember(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    try {
      await this.publisher.set(this.key(key), JSON.stringify(value), 'EX', ttlSeconds);
    } catch (error) {
      this.log.debug({ err: (error as Error).message, key }, 'memo not saved');
    }
  }

  async recall<T>(key: string): Promise<T | undefined> {
    try {
      const raw = await this.publisher.get(this.key(key));
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
    clearInterval(this.checker);
    this.checker = undefined;
    this.handlers.clear();
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}

const timedOut = 'Redis did not answer in time';

/** The promise, or a rejection once `ms` have passed without it settling. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(timedOut)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
