/**
 * In-memory stand-ins for core's Runtime, for the gateway's unit tests only
 * (integration tests run the real runtime on Azurite and Redis).
 */
import type {
  Bus,
  BusHandler,
  CommandAccepted,
  CommandStatus,
  ContextDefinition,
  LogRead,
  ContextRuntime,
  ContextStats,
  Health,
  Runtime,
  RuntimeCounters,
} from '@eventloom/core';
import { pino } from 'pino';

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;

  /** One process, one store: names need no namespace. */
  key(name: string): string {
    return name;
  }
  readonly handlers = new Map<string, Set<BusHandler>>();

  async publish(channel: string, message: unknown): Promise<void> {
    for (const handler of this.handlers.get(channel) ?? []) handler(message);
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return async () => {
      set.delete(handler);
    };
  }

  readonly memos = new Map<string, unknown>();

  async remember(key: string, value: unknown): Promise<void> {
    this.memos.set(key, value);
  }

  async recall<T>(key: string): Promise<T | undefined> {
    return this.memos.get(key) as T | undefined;
  }

  /** The relay's commit log; the gateway's routes never read it. */
  async appendLog(): Promise<void> {}

  async readLog(): Promise<LogRead> {
    return { entries: [], epoch: 'fake' };
  }

  async logEnd(): Promise<{ epoch: string }> {
    return { epoch: 'fake' };
  }

  subscribers(channel: string): number {
    return this.handlers.get(channel)?.size ?? 0;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}

export interface FakeRuntime extends Runtime {
  readonly bus: MemoryBus;
  healthResult: Health;
  statsResult: ContextStats[];
  countersResult: RuntimeCounters;
  /** What `waitForViews` answers (after `waitDelayMs`). */
  viewsCatchUp: boolean;
  executed: Array<{ context: string; aggregate: string; command: string; input: unknown }>;
  statuses: Map<string, CommandStatus>;
}

export function fakeRuntime(contexts: ContextDefinition[]): FakeRuntime {
  const log = pino({ level: 'silent' });
  const bus = new MemoryBus();
  const runtime: FakeRuntime = {
    mode: 'single-process',
    bus,
    log,
    contexts: new Map(),
    healthResult: { ok: true, storage: { ok: true, latencyMs: 1 }, redis: { ok: true, mode: 'single-process' } },
    statsResult: [],
    countersResult: { appends: {}, appendedEvents: {} },
    viewsCatchUp: true,
    executed: [],
    statuses: new Map(),
    context(name) {
      const context = runtime.contexts.get(name);
      if (!context) throw new Error(`no context ${name}`);
      return context;
    },
    health: async () => runtime.healthResult,
    stats: async () => runtime.statsResult,
    counters: () => runtime.countersResult,
    footprint: () => ({ relays: [], projections: [], mergers: [] }),
    seed: async () => [],
    storage: undefined as never,
    workers: false,
    close: async () => {},
  };
  for (const definition of contexts) {
    (runtime.contexts as Map<string, ContextRuntime>).set(definition.name, fakeContextRuntime(runtime, definition));
  }
  return runtime;
}

function fakeContextRuntime(runtime: FakeRuntime, definition: ContextDefinition): ContextRuntime {
  let version = 0;
  return {
    name: definition.name,
    definition,
    bus: runtime.bus,
    log: runtime.log,
    async execute(aggregate, command, input, request): Promise<CommandAccepted> {
      runtime.executed.push({ context: definition.name, aggregate, command, input });
      version += 1;
      const commandId = `cmd-${version}`;
      const stream = `${aggregate}-1`;
      const event = {
        id: `evt-${version}`,
        type: 'Incremented',
        schemaVersion: 1,
        stream,
        version,
        occurredAt: new Date(0).toISOString(),
        who: request.principal.sub,
        correlationId: commandId,
        causationId: commandId,
        data: input,
      };
      runtime.statuses.set(commandId, {
        commandId,
        context: definition.name,
        state: 'accepted',
        stream,
        eventIds: [event.id],
      });
      return { commandId, stream, events: [event], duplicate: false };
    },
    async waitForViews(_accepted, timeoutMs) {
      if (runtime.viewsCatchUp) return true;
      await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 50)));
      return false;
    },
    async commandStatus(commandId) {
      return runtime.statuses.get(commandId);
    },
    async ingest() {
      throw new Error('the fake runtime does not ingest');
    },
    async readKeyed() {
      return undefined;
    },
    rebuilds: {
      request: async () => {
        throw new Error('the fake runtime does not rebuild');
      },
      cancel: async () => {
        throw new Error('the fake runtime does not rebuild');
      },
      status: async () => undefined,
    },
    async deadLetters() {
      return [];
    },
    async resolveDeadLetter() {
      throw new Error('the fake runtime has no dead letters');
    },
    async readStream() {
      return [];
    },
    async loadState() {
      throw new Error('not in the fake');
    },
    views: {
      async get() {
        return undefined;
      },
      async query() {
        return { rows: [] };
      },
    },
    async readFeed() {
      return [];
    },
    feed: {
      context: definition.name,
      rowsAfter: async () => [],
      read: async () => [],
      decode: async () => {
        throw new Error('the fake feed holds no rows');
      },
      head: async () => 0,
    },
  };
}
