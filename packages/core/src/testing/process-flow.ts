import { isDeepStrictEqual } from 'node:util';
import type { NewEvent } from '../events/envelope.ts';
import type { ProcessCommand, ProcessDecision, ProcessDefinition, ProcessInput } from '../process/define-process.ts';

/** Time passes on the flow's clock: timers that fall due fire, in due order. */
export interface Advance {
  kind: 'advance';
  ms: number;
}

export const started = <TStart>(data: TStart): ProcessInput<TStart> => ({ kind: 'start', data });
export const accepted = (step: string, events: { type: string; data: unknown }[] = []): ProcessInput<never> => ({ kind: 'answer', step, outcome: 'accepted', events });
export const refused = (step: string, code: string, detail = `${step} refused: ${code}`): ProcessInput<never> => ({ kind: 'answer', step, outcome: 'refused', code, detail });
export const advance = (ms: number): Advance => ({ kind: 'advance', ms });

/** What one `when` led to: every decision it caused, together. */
export interface FlowOutcome<TState> {
  state: TState;
  send: ProcessCommand[];
  schedule: { timer: string; afterMs: number }[];
  cancel: string[];
  /** Timers that fired during an `advance`. */
  fired: string[];
  /** Events the decisions published. */
  emit: NewEvent[];
  done: boolean;
}

type Expected<TState> = Partial<Omit<FlowOutcome<TState>, 'state'>> & { state?: Partial<TState> };

/**
 * Given/when/then for a process, with a clock that skips: the instance's state, its
 * sent steps and its pending timers are followed through the given inputs, so `when` can
 * answer a step, fire a timer, or let time pass (`advance(ms)` fires what falls due).
 *
 *   processFlow(transfer).given([started(request), accepted('withdraw')])
 *     .when(advance(30_000)).then({ fired: ['depositTimeout'], send: [refund] })
 */
export function processFlow<TState, TStart>(definition: ProcessDefinition<TState, TStart>, options: { instance?: string; now?: Date } = {}) {
  return new ProcessFlow(definition, options.instance, options.now ?? new Date('2026-01-01T00:00:00Z'));
}

export class ProcessFlow<TState, TStart> {
  private readonly definition: ProcessDefinition<TState, TStart>;
  private instance: string | undefined;
  private nowMs: number;
  state: TState;
  done = false;
  /** Steps sent so far, and whether each was answered. */
  private readonly steps = new Map<string, { command: ProcessCommand; answered: boolean }>();
  /** Pending timers and when each falls due. */
  private readonly timers = new Map<string, number>();

  constructor(definition: ProcessDefinition<TState, TStart>, instance: string | undefined, now: Date) {
    this.definition = definition;
    this.instance = instance;
    this.nowMs = now.getTime();
    this.state = definition.initialState();
  }

  get now(): Date {
    return new Date(this.nowMs);
  }

  /** Pending timers by name, with when each is due. */
  get pendingTimers(): ReadonlyMap<string, Date> {
    return new Map([...this.timers].map(([timer, due]) => [timer, new Date(due)]));
  }

  given(inputs: (ProcessInput<TStart> | Advance)[]): this {
    for (const input of inputs) this.apply(input);
    return this;
  }

  when(input: ProcessInput<TStart> | Advance): FlowAssertions<TState> {
    return new FlowAssertions(this.apply(input));
  }

  private apply(input: ProcessInput<TStart> | Advance): FlowOutcome<TState> {
    const outcome: FlowOutcome<TState> = { state: this.state, send: [], schedule: [], cancel: [], fired: [], emit: [], done: this.done };
    if (input.kind === 'advance') {
      const until = this.nowMs + input.ms;
      for (;;) {
        const next = [...this.timers].filter(([, due]) => due <= until).sort((a, b) => a[1] - b[1])[0];
        if (!next) break;
        this.nowMs = Math.max(this.nowMs, next[1]);
        outcome.fired.push(next[0]);
        merge(outcome, this.decide({ kind: 'timer', timer: next[0] }));
      }
      this.nowMs = until;
      return outcome;
    }
    return merge(outcome, this.decide(input));
  }

  private decide(input: ProcessInput<TStart>): FlowOutcome<TState> {
    const none: FlowOutcome<TState> = { state: this.state, send: [], schedule: [], cancel: [], fired: [], emit: [], done: this.done };
    if (input.kind === 'start') {
      const data = this.definition.start.schema.parse(input.data);
      input = { kind: 'start', data };
      this.instance ??= this.definition.start.instance(data);
    }
    if (input.kind === 'answer') {
      const step = this.steps.get(input.step);
      if (!step) throw new Error(`process ${this.definition.name}: an answer to step ${input.step}, which it never sent (sent: ${[...this.steps.keys()].join(', ') || 'none'})`);
      if (step.answered) throw new Error(`process ${this.definition.name}: step ${input.step} was answered already`);
      step.answered = true;
    }
    if (input.kind === 'timer') {
      if (!this.timers.has(input.timer)) throw new Error(`process ${this.definition.name}: timer ${input.timer} fired but is not pending`);
      this.timers.delete(input.timer);
    }
    // A finished instance records what still arrives and does nothing more.
    if (this.done) return none;
    const decision: ProcessDecision<TState> = this.definition.decide(this.state, input, { now: this.now, instance: this.instance ?? 'test-instance' });
    for (const command of decision.send ?? []) {
      if (this.steps.has(command.step)) throw new Error(`process ${this.definition.name}: step ${command.step} sent twice (a step names one command of the instance)`);
      this.steps.set(command.step, { command, answered: false });
    }
    for (const timer of decision.cancel ?? []) this.timers.delete(timer);
    for (const { timer, afterMs } of decision.schedule ?? []) {
      if (this.definition.timers && !this.definition.timers.includes(timer)) throw new Error(`process ${this.definition.name}: timer ${timer} is not one of its timers (${this.definition.timers.join(', ')})`);
      this.timers.set(timer, this.nowMs + afterMs);
    }
    this.state = decision.state;
    this.done = decision.done ?? false;
    return { state: this.state, send: decision.send ?? [], schedule: decision.schedule ?? [], cancel: decision.cancel ?? [], fired: [], emit: decision.emit ?? [], done: this.done };
  }
}

function merge<TState>(into: FlowOutcome<TState>, next: FlowOutcome<TState>): FlowOutcome<TState> {
  into.state = next.state;
  into.send.push(...next.send);
  into.schedule.push(...next.schedule);
  into.cancel.push(...next.cancel);
  into.emit.push(...next.emit);
  into.done = next.done;
  return into;
}

export class FlowAssertions<TState> {
  readonly outcome: FlowOutcome<TState>;

  constructor(outcome: FlowOutcome<TState>) {
    this.outcome = outcome;
  }

  /**
   * The outcome holds exactly what is named (unnamed parts are not checked; `state` is
   * compared field by field for the fields given).
   */
  then(expected: Expected<TState>): FlowOutcome<TState> {
    const problems: string[] = [];
    for (const part of ['send', 'schedule', 'cancel', 'fired', 'emit', 'done'] as const) {
      if (expected[part] === undefined) continue;
      if (!isDeepStrictEqual(this.outcome[part], expected[part])) {
        problems.push(`${part}: expected\n${JSON.stringify(expected[part], null, 2)}\nbut got\n${JSON.stringify(this.outcome[part], null, 2)}`);
      }
    }
    for (const [field, value] of Object.entries(expected.state ?? {})) {
      const actual = (this.outcome.state as Record<string, unknown>)[field];
      if (!isDeepStrictEqual(actual, value)) problems.push(`state.${field}: expected ${JSON.stringify(value)} but got ${JSON.stringify(actual)}`);
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return this.outcome;
  }
}
