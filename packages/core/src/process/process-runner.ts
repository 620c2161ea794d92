import { odata, type TableClient } from '@azure/data-tables';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { Principal } from '../auth/principal.ts';
import type { ContextRuntime } from '../context/context-runtime.ts';
import type { EventEnvelope, FeedEntry } from '../events/envelope.ts';
import { ProblemError, problemBase } from '../http/problem.ts';
import { ConcurrencyError, DuplicateCommandError, type EventStore } from '../store/event-store.ts';
import { isNotFound, isPreconditionFailed, statusOf } from '../store/storage.ts';
import type { LeasedWork } from '../worker/leased-loop.ts';
import { mapLimit } from '../worker/map-limit.ts';
import { stepKey, type ProcessCommand, type ProcessDefinition, type ProcessInput } from './define-process.ts';

/** The one event of an instance stream: an input, recorded with the decision it led to. */
export const processStepped = 'ProcessStepped';

export interface SteppedData {
  input: ProcessInput<unknown>;
  state: unknown;
  send: ProcessCommand[];
  /** Timers started, with the instant each falls due (ms since the epoch). */
  schedule: { timer: string; dueAt: number }[];
  cancel: string[];
  done: boolean;
}

/** An instance as its stream tells it. */
export interface ProcessInstance<TState> {
  instance: string;
  version: number;
  state: TState;
  done: boolean;
  /** Steps sent and not answered yet, in the order they were decided. */
  unanswered: ProcessCommand[];
  /** Pending timers: name → due (ms). */
  timers: Map<string, number>;
  correlationId: string;
  history: EventEnvelope[];
}

const maxAttempts = 8;

/**
 * Runs one process's instances. Each input is recorded before anything it decides is
 * done: one append to the instance's stream (`{process}-{instance}`) holding the input,
 * the decision and the next state, keyed by the input (`start`, `answer:{step}`,
 * `timer:{name}:{due}`), so an input that arrives twice is recorded once. Then the
 * decided commands go out through the ordinary command pipeline with the key
 * `{process}:{instance}:{step}`: a step sent again (after a crash, by a second process)
 * is answered with its first result and never applied twice. Its answer is the next input.
 *
 * An instance with work left (a step not answered, a timer pending) has a row in the
 * context's `ProcessPending` table, touched before each append (a crash after it cannot
 * hide work), saying when to look next. The leased sweep (`step`) sends what was not
 * answered and fires due timers, and removes a row once its instance has nothing left
 * and the row has not changed for `quietMs` on the sweeper's own clock (as the relay
 * retires pending markers: no two processes' clocks are compared), ETag-conditional.
 * Its cost follows the instances with work, not the history.
 */
export class ProcessRunner<TState, TStart> implements LeasedWork {
  readonly definition: ProcessDefinition<TState, TStart>;
  private readonly store: EventStore;
  private readonly pending: Promise<TableClient>;
  private readonly target: (context: string) => ContextRuntime;
  private readonly principal: Principal;
  private readonly clock: () => number;
  private readonly log: Logger;
  /** Sweeps run while this process holds the lease. */
  private sweeping = false;
  /** Each pending row's ETag at the last sweep, and since when the sweeper has seen it. */
  private seen = new Map<string, { etag: string; since: number }>();
  private readonly quietMs: number;

  constructor(parts: {
    definition: ProcessDefinition<TState, TStart>;
    store: EventStore;
    pending: Promise<TableClient>;
    target: (context: string) => ContextRuntime;
    log: Logger;
    clock?: () => number;
    /** How long a finished instance's row must stay unchanged before it goes (longer than any append). */
    quietMs?: number;
  }) {
    this.quietMs = parts.quietMs ?? 60_000;
    this.definition = parts.definition;
    this.store = parts.store;
    this.pending = parts.pending;
    this.target = parts.target;
    this.log = parts.log;
    this.clock = parts.clock ?? Date.now;
    this.principal = { sub: `process:${parts.definition.name}`, role: 'admin', name: `process ${parts.definition.name}` };
  }

  stream(instance: string): string {
    return `${this.definition.name}-${instance}`;
  }

  /**
   * Starts an instance (validated input; its id from the input). A second start of the
   * same instance is a duplicate: recorded once, answered with the instance as it is.
   */
  async begin(data: unknown, request: { principal: Principal; correlationId?: string }): Promise<{ instance: string; duplicate: boolean }> {
    const parsed = this.definition.start.schema.parse(data);
    const instance = this.definition.start.instance(parsed);
    const recorded = await this.record(instance, { kind: 'start', data: parsed }, 'start', request.correlationId ?? uuidv7(), request.principal.sub);
    await this.advance(instance);
    return { instance, duplicate: !recorded };
  }

  /** The instance's current state, from its stream (undefined when it never started). */
  async load(instance: string): Promise<ProcessInstance<TState> | undefined> {
    const history = await this.store.read(this.stream(instance));
    if (history.length === 0) return undefined;
    let state = this.definition.initialState();
    let done = false;
    const sent = new Map<string, ProcessCommand>();
    const answered = new Set<string>();
    const timers = new Map<string, number>();
    for (const event of history) {
      if (event.type !== processStepped) continue;
      const data = event.data as SteppedData;
      if (data.input.kind === 'answer') answered.add(data.input.step);
      if (data.input.kind === 'timer') timers.delete(data.input.timer);
      state = data.state as TState;
      done = data.done;
      for (const command of data.send) sent.set(command.step, command);
      for (const timer of data.cancel) timers.delete(timer);
      for (const { timer, dueAt } of data.schedule) timers.set(timer, dueAt);
    }
    if (done) timers.clear();
    const unanswered = [...sent.values()].filter((command) => !answered.has(command.step));
    return { instance, version: history[history.length - 1]!.version, state, done, unanswered, timers, correlationId: history[0]!.correlationId, history };
  }

  /**
   * Records one input and its decision, unless this input was recorded already. True when
   * it was recorded now. A finished instance records what still arrives with no decision.
   */
  private async record(instance: string, input: ProcessInput<TStart>, key: string, correlationId: string, who: string): Promise<boolean> {
    const stream = this.stream(instance);
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.load(instance);
      if (!current && input.kind !== 'start') throw new Error(`process ${this.definition.name}: instance ${instance} has not started`);
      // An instance starts once, whoever sends its start again (idempotency keys are per caller).
      if (current && input.kind === 'start') return false;
      // Cancelled or fired meanwhile (by another process): nothing to fire.
      if (input.kind === 'timer' && current && current.timers.get(input.timer) !== Number(key.slice(key.lastIndexOf(':') + 1))) return false;
      const now = this.clock();
      const state = current?.state ?? this.definition.initialState();
      const decision = current?.done ? { state, done: true } : this.definition.decide(state, input, { now: new Date(now), instance });
      const data: SteppedData = {
        input: input as ProcessInput<unknown>,
        state: decision.state,
        send: decision.send ?? [],
        schedule: (decision.schedule ?? []).map(({ timer, afterMs }) => ({ timer, dueAt: now + afterMs })),
        cancel: decision.cancel ?? [],
        done: decision.done ?? false,
      };
      // Before the append: once the input is recorded, its work can be found, and when.
      const timers = new Map(current?.timers);
      for (const timer of data.cancel) timers.delete(timer);
      for (const { timer, dueAt } of data.schedule) timers.set(timer, dueAt);
      await this.touch(instance, data.send.length > 0 || data.done ? now : Math.min(now + this.quietMs, ...timers.values()));
      try {
        await this.store.append(
          stream,
          current?.version ?? 0,
          [{ type: processStepped, data }, ...(decision.emit ?? [])],
          { who, correlationId: current?.correlationId ?? correlationId, causationId: inputId(input), occurredAt: new Date(now).toISOString() },
          { idempotency: { key, commandId: uuidv7(), request: key } },
        );
        return true;
      } catch (error) {
        if (error instanceof DuplicateCommandError) return false;
        if (!(error instanceof ConcurrencyError)) throw error;
      }
    }
    throw new Error(`process ${this.definition.name}: instance ${instance} kept changing under input ${key}`);
  }

  /**
   * Does what the instance has left: sends its unanswered steps (with their keys) and
   * records their answers, fires its due timers, until nothing is left that can be done
   * now; then its pending row goes (unless a timer waits).
   */
  async advance(instance: string): Promise<void> {
    for (let rounds = 0; rounds < 100; rounds++) {
      const current = await this.load(instance);
      if (!current) return;
      const now = this.clock();
      const due = [...current.timers].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
      if (current.done || (current.unanswered.length === 0 && due.length === 0)) return;
      if (due.length > 0) {
        const [timer, at] = due[0]!;
        await this.record(instance, { kind: 'timer', timer }, `timer:${timer}:${at}`, current.correlationId, this.principal.sub);
        continue;
      }
      const answers = await mapLimit(current.unanswered, 4, (command) => this.send(current, command));
      let recorded = false;
      for (const [i, answer] of answers.entries()) {
        if (!answer) continue;
        await this.record(instance, answer, `answer:${current.unanswered[i]!.step}`, current.correlationId, this.principal.sub);
        recorded = true;
      }
      // Every send failed for now (storage busy, a context not answering): the sweep tries again.
      if (!recorded) return;
    }
  }

  /** Sends one step; its answer, or undefined when it could not be told (try again later). */
  private async send(current: ProcessInstance<TState>, command: ProcessCommand): Promise<ProcessInput<TStart> | undefined> {
    try {
      const result = await this.target(command.context).execute(command.aggregate, command.command, command.input, {
        principal: this.principal,
        idempotencyKey: stepKey(this.definition.name, current.instance, command.step),
        correlationId: current.correlationId,
      });
      return { kind: 'answer', step: command.step, outcome: 'accepted', events: result.events.map(({ type, data }) => ({ type, data })) };
    } catch (error) {
      if (error instanceof ProblemError && error.problem.status < 500 && error.problem.status !== 429 && !(error.problem as { retryable?: boolean }).retryable) {
        const code = error.problem.type.startsWith(problemBase) ? error.problem.type.slice(problemBase.length) : error.problem.type;
        return { kind: 'answer', step: command.step, outcome: 'refused', code, detail: error.problem.detail ?? error.problem.title };
      }
      this.log.warn({ process: this.definition.name, instance: current.instance, step: command.step, err: (error as Error).message }, 'process step not answered; it is sent again later');
      return undefined;
    }
  }

  /** When the sweep should look at the instance next (ms on the writer's clock, the storage service's when its own is off; see ServerTime). */
  private async touch(instance: string, nextDue: number): Promise<void> {
    await (await this.pending).upsertEntity({ partitionKey: this.definition.name, rowKey: instance, nextDue }, 'Merge');
  }

  /**
   * After a sweep advanced an instance: a row whose instance has nothing left goes once it
   * has stayed unchanged for the quiet window (an input recorded meanwhile touched it);
   * one waiting for a timer is told when to look next.
   */
  private async settle(instance: string, row: { etag: string; nextDue?: number }): Promise<void> {
    const current = await this.load(instance);
    // A step still unanswered (its target did not answer): the next sweep sends it again.
    if (current && !current.done && current.unanswered.length > 0) return;
    const next = current && !current.done ? Math.min(...current.timers.values()) : Number.POSITIVE_INFINITY;
    if (Number.isFinite(next)) {
      if (row.nextDue !== next) await this.touch(instance, next);
      return;
    }
    const seen = this.seen.get(instance);
    const now = performance.now();
    if (!seen || seen.etag !== row.etag) {
      this.seen.set(instance, { etag: row.etag, since: now });
      return;
    }
    if (now - seen.since < this.quietMs) return;
    try {
      await (await this.pending).deleteEntity(this.definition.name, instance, { etag: row.etag });
    } catch (error) {
      if (!isNotFound(error) && !isPreconditionFailed(error)) throw error;
    }
    this.seen.delete(instance);
  }

  /**
   * Another context's published event for `instance` (see `listens`): recorded once
   * (keyed by the event's id) if the instance has started and not finished, then what
   * it decided is carried out. True when it was recorded now.
   */
  async deliver(instance: string, event: FeedEntry): Promise<boolean> {
    const current = await this.load(instance);
    if (!current || current.done) return false;
    const recorded = await this.record(instance, { kind: 'event', event }, `event:${event.id}`, current.correlationId, this.principal.sub);
    await this.advance(instance);
    return recorded;
  }

  /**
   * Advances the instances whose work is overdue by `overdueMs` (a timer due, a step not
   * answered), whoever holds the sweep's lease: a worker that does not hold it calls this
   * now and then, so a holder that died (or froze) delays a timer by about `overdueMs`,
   * not by the lease's takeover. Safe beside the holder's sweep: every input is recorded
   * once whoever records it, and every step is sent with its key.
   */
  async assist(overdueMs: number): Promise<number> {
    const table = await this.pending;
    const late = this.clock() - overdueMs;
    const instances: string[] = [];
    for await (const row of table.listEntities<{ nextDue?: number }>({ queryOptions: { filter: odata`PartitionKey eq ${this.definition.name}`, select: ['RowKey', 'nextDue'] } })) {
      if (row.nextDue !== undefined && Number(row.nextDue) <= late) instances.push(row.rowKey!);
    }
    await mapLimit(instances, 4, async (instance) => {
      try {
        await this.advance(instance);
      } catch (error) {
        if (statusOf(error) === undefined && !(error instanceof ConcurrencyError)) throw error;
      }
    });
    return instances.length;
  }

  // The sweep, under the process's lease.

  async start(): Promise<void> {
    this.sweeping = true;
  }

  stop(): void {
    this.sweeping = false;
  }

  /** One sweep over the instances with work left. */
  async step(): Promise<boolean> {
    if (!this.sweeping) return false;
    const table = await this.pending;
    const rows: { instance: string; etag: string; nextDue?: number }[] = [];
    const now = this.clock();
    for await (const row of table.listEntities<{ nextDue?: number }>({ queryOptions: { filter: odata`PartitionKey eq ${this.definition.name}` } })) {
      rows.push({ instance: row.rowKey!, etag: row.etag, ...(row.nextDue !== undefined ? { nextDue: Number(row.nextDue) } : {}) });
    }
    const listed = new Set(rows.map((row) => row.instance));
    for (const instance of this.seen.keys()) if (!listed.has(instance)) this.seen.delete(instance);
    // A row not due yet waits; a due one (or one that may be finished) is looked at.
    await mapLimit(rows, 8, async (row) => {
      try {
        if (row.nextDue === undefined || row.nextDue <= now) await this.advance(row.instance);
        await this.settle(row.instance, row);
      } catch (error) {
        if (statusOf(error) === undefined && !(error instanceof ConcurrencyError)) throw error;
        this.log.warn({ process: this.definition.name, instance: row.instance, err: (error as Error).message }, 'process instance not advanced; next sweep');
      }
    });
    return false;
  }
}

function inputId(input: ProcessInput<unknown>): string {
  switch (input.kind) {
    case 'start':
      return 'start';
    case 'answer':
      return `answer:${input.step}`;
    case 'timer':
      return `timer:${input.timer}`;
    case 'event':
      return input.event.id;
  }
}
