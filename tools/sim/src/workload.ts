import { createHash } from 'node:crypto';
import { childOf, ProblemError, withTrace, type CommandAccepted, type IngestItem, type IngestResult, type Runtime } from '@eventloom/core';
import { Paid } from './ledger.ts';
import type { TransferRecord } from './transfers.ts';
import { ProcessDied, type SimProcess } from './process.ts';
import type { Random } from './random.ts';
import { sleep, type World } from './world.ts';

/** How a client saw its request end. */
export type Outcome = 'applied' | 'refused' | 'unknown';

/** One command a client sent, and what it was told. */
export interface CommandRecord {
  op: string;
  command: 'deposit' | 'withdraw' | 'note' | 'close' | 'reopen';
  account: string;
  /** Events it appends when applied. */
  events: number;
  caller: string;
  key?: string;
  /** The command's input as sent. */
  input: Record<string, unknown>;
  outcome: Outcome;
  eventIds?: string[];
  commandId?: string;
  /** Why it was refused or is unknown. */
  reason?: string;
  /** The trace the command is sent in (every try of it): its events must record it. */
  traceId?: string;
}

/** One ingested key, and what its sender was finally told. */
export interface IngestRecord {
  key: string;
  partition: string;
  /** `stored` or `duplicate` both say it is in the store; `unknown` when no answer ever came. */
  outcome: 'stored' | 'duplicate' | 'unknown';
}

/** Everything the clients did and were told: what the checks hold the store to. */
/**
 * Another caller's equal key is another command: it must never be answered with the first
 * caller's command. A `duplicate` answer on its own is no violation: when the first attempt
 * was applied but its answer lost, the caller's retry (same caller, key and request) is
 * rightly answered with that attempt — its own command, not the first caller's.
 */
export function otherCallerViolation(first: CommandRecord, other: CommandRecord, answer: CommandAccepted | undefined): string | undefined {
  if (!answer) return undefined;
  const firstEvents = new Set(first.eventIds ?? []);
  if (answer.commandId === first.commandId || answer.events.some((event) => firstEvents.has(event.id))) {
    return `${other.caller}'s key ${first.key} was answered with ${first.caller}'s command ${answer.commandId}`;
  }
  return undefined;
}

export class Book {
  readonly commands: CommandRecord[] = [];
  readonly ingested = new Map<string, IngestRecord>();
  /** Transfers started through the ledger's process (transfers.ts). */
  readonly transfers: TransferRecord[] = [];
  /** Broken promises seen as they happened (an idempotency key answered wrongly). */
  readonly violations: string[] = [];
}

const callers = ['owner-a', 'owner-b'];
const requestTimeoutMs = 25_000;

/**
 * The clients of one run: each picks an operation, a caller and a live gateway, sends
 * it, and records what it was told. An answer that never came (the gateway died, the
 * store did not confirm) is `unknown`; a client with an idempotency key then sends the
 * same request again until it hears, as a careful client would.
 */
export class Workload {
  private readonly world: World;
  readonly book = new Book();
  private ops = 0;
  /** True once the run's time is up: a request without an answer is not sent again after that. */
  private stop: () => boolean = () => false;
  private keys = 0;
  /** Busy accounts, and many quiet ones (written now and then: their streams retire in between). */
  private readonly accounts = [...Array.from({ length: 10 }, (_, i) => `a${i}`), 'long'];
  private readonly quiet = Array.from({ length: 60 }, (_, i) => `q${i}`);

  constructor(world: World) {
    this.world = world;
  }

  /** Operation ids are unique across seeds: runs share the process (and the shipped bug's fixes). */
  private nextOp(): string {
    return `s${this.world.seed}o${++this.ops}`;
  }

  /**
   * Runs the clients, each through its own drawn list of operations: the same seed sends
   * the same operations whatever the speed of the machine (`stop` cuts a run short).
   */
  async run(clients: number, operations: number, stop: () => boolean): Promise<void> {
    this.stop = stop;
    await Promise.all([
      ...Array.from({ length: clients }, (_, i) => this.client(this.world.random.fork('client', i), operations, stop)),
      // Its own draws: the other clients send what they sent before transfers existed.
      ...(this.world.transfers ? [this.transferClient(this.world.random.fork('transfers'), Math.ceil(operations / 4), stop)] : []),
    ]);
  }

  /** Starts transfers between the busy accounts; an unanswered start is sent again with its id (it starts once). */
  private async transferClient(random: Random, count: number, stop: () => boolean): Promise<void> {
    for (let n = 1; n <= count && !stop(); n++) {
      await sleep(random.int(100, 700));
      // Now and then to a quiet account, which may be closed: the deposit is refused and the sender refunded.
      const [from, to] = [random.pick(this.accounts), random.chance(0.3) ? random.pick(this.quiet) : random.pick(this.accounts)];
      if (from === to) continue;
      const record: TransferRecord = { id: `s${this.world.seed}t${n}`, request: { transferId: `s${this.world.seed}t${n}`, from, to, cents: random.int(1, 400) }, outcome: 'unknown' };
      this.book.transfers.push(record);
      for (let attempt = 1; attempt <= 6 && record.outcome === 'unknown' && (attempt === 1 || !stop()); attempt++) {
        const answer = await this.call(random, (runtime) => {
          const runner = runtime.context('ledger').processes?.get('transfer');
          if (!runner) throw new Error('the ledger runs no transfer process');
          return runner.begin(record.request, { principal: { sub: random.pick(callers), role: 'owner' } });
        });
        if (answer.kind === 'answer') record.outcome = 'started';
        else if (answer.kind === 'refused') record.outcome = 'refused';
        else await sleep(random.int(100, 800));
      }
    }
  }

  private async client(random: Random, operations: number, stop: () => boolean): Promise<void> {
    for (let n = 0; n < operations && !stop(); n++) {
      const kind = random.weighted({ deposit: 40, withdraw: 15, note: 6, close: 3, reopen: 3, ingest: 12, again: 10 });
      if (kind === 'ingest') await this.ingest(random);
      else if (kind === 'again') await this.again(random);
      else await this.command(random, kind);
      await sleep(random.int(0, 60));
    }
  }

  private async command(random: Random, command: CommandRecord['command']): Promise<void> {
    const account = random.chance(0.25) ? 'long' : random.chance(0.3) ? random.pick(this.quiet) : random.pick(this.accounts);
    const op = this.nextOp();
    const input: Record<string, unknown> = { op, account };
    let events = 1;
    if (command === 'deposit' || command === 'withdraw') input.cents = random.int(1, 500);
    if (command === 'deposit' && random.chance(0.08)) input.parts = events = random.int(2, 40);
    if (command === 'deposit' && random.chance(0.04)) input.poison = true;
    if (command === 'note') input.text = 'n'.repeat(random.chance(0.15) ? random.int(31_000, 60_000) : random.int(1, 300));
    const record: CommandRecord = { op, command, account, events, caller: random.pick(callers), input, outcome: 'unknown', ...(random.chance(0.35) ? { key: `key-${op}` } : {}) };
    this.book.commands.push(record);
    await this.send(random, record, input);
  }

  /** Sends a command; with a key, again and again until an answer comes. */
  private async send(random: Random, record: CommandRecord, input: Record<string, unknown>): Promise<CommandAccepted | undefined> {
    const attempts = record.key ? 6 : 1;
    // As a caller's traceparent reaches the gateway: each try in a span of the command's trace.
    record.traceId = createHash('sha256').update(record.op).digest('hex').slice(0, 32);
    for (let attempt = 1; attempt <= attempts && (attempt === 1 || !this.stop()); attempt++) {
      const span = childOf({ traceId: record.traceId, spanId: '00f067aa0ba902b7', flags: '01' });
      const answer = await this.call(random, (runtime) =>
        withTrace(span, () => runtime.context('ledger').execute('account', record.command, input, { principal: { sub: record.caller, role: 'owner' }, ...(record.key ? { idempotencyKey: record.key } : {}) })),
      );
      if (answer.kind === 'answer') {
        record.outcome = 'applied';
        record.eventIds = answer.value.events.map((e) => e.id);
        record.commandId = answer.value.commandId;
        return answer.value;
      }
      if (answer.kind === 'refused') {
        record.outcome = 'refused';
        record.reason = answer.reason;
        return undefined;
      }
      record.reason = answer.reason;
      await sleep(random.int(100, 800));
    }
    return undefined;
  }

  /** Uses an idempotency key again: the same request (a retry), another caller's, or another request. */
  private async again(random: Random): Promise<void> {
    const earlier = this.book.commands.filter((c) => c.key && c.outcome === 'applied' && c.command === 'deposit');
    if (earlier.length === 0) return;
    const first = random.pick(earlier);
    const how = random.weighted({ retry: 5, 'other-caller': 2, 'other-request': 2 });
    const input = { op: first.op, account: first.account, cents: 1 };
    if (how === 'retry') {
      // The exact request again: the first answer, not a second deposit.
      const answer = await this.call(random, (runtime) => runtime.context('ledger').execute('account', 'deposit', first.input, { principal: { sub: first.caller, role: 'owner' }, idempotencyKey: first.key! }));
      if (answer.kind === 'answer' && (!answer.value.duplicate || answer.value.commandId !== first.commandId || answer.value.events.map((e) => e.id).join() !== first.eventIds!.join())) {
        this.book.violations.push(`a retry of ${first.op} under key ${first.key} was answered ${JSON.stringify({ duplicate: answer.value.duplicate, commandId: answer.value.commandId })}, not the first answer ${first.commandId}`);
      }
      return;
    }
    const op = this.nextOp();
    if (how === 'other-caller') {
      // Another caller's equal key is another command: applied on its own.
      const record: CommandRecord = { op, command: 'deposit', account: first.account, events: 1, caller: callers.find((c) => c !== first.caller)!, key: first.key!, input: { ...input, op }, outcome: 'unknown' };
      this.book.commands.push(record);
      const answer = await this.send(random, record, record.input);
      const violation = otherCallerViolation(first, record, answer);
      if (violation) this.book.violations.push(violation);
      return;
    }
    // The same caller and key with another request: refused, nothing applied.
    const record: CommandRecord = { op, command: 'deposit', account: first.account, events: 1, caller: first.caller, key: first.key!, input: { ...input, op, cents: 2 }, outcome: 'unknown' };
    this.book.commands.push(record);
    const answer = await this.send(random, record, record.input);
    if (answer) this.book.violations.push(`key ${first.key} reused by ${first.caller} for another request was applied (${answer.duplicate ? 'as the first' : 'again'})`);
    else if (record.outcome === 'refused' && !record.reason?.includes('idempotency-key-reused')) this.book.violations.push(`key ${first.key} reused for another request was refused for another reason: ${record.reason}`);
  }

  /** A batch of keyed payments, some new, some sent before; some large enough to cut feed transactions. */
  private async ingest(random: Random): Promise<void> {
    const size = random.weighted({ small: 6, hundred: 3, large: 1 });
    const count = size === 'small' ? random.int(1, 20) : size === 'hundred' ? random.int(90, 250) : random.int(60, 99);
    const memo = size === 'large' ? 'm'.repeat(random.int(15_000, 25_000)) : undefined;
    const sent = [...this.book.ingested.values()].filter((r) => r.outcome !== 'unknown');
    const items: IngestItem[] = [];
    for (let i = 0; i < count; i++) {
      const resend = sent.length > 0 && random.chance(0.05) ? random.pick(sent) : undefined;
      const key = resend?.key ?? `p${++this.keys}`;
      const partition = resend?.partition ?? `pay-${random.int(0, 3)}`;
      items.push({ key, partition, event: Paid({ key, partition, cents: random.int(1, 1000), ...(memo ? { memo } : {}) }) });
      if (!resend && !this.book.ingested.has(key)) this.book.ingested.set(key, { key, partition, outcome: 'unknown' });
    }
    for (let attempt = 1; attempt <= 4 && (attempt === 1 || !this.stop()); attempt++) {
      const answer = await this.call(random, (runtime) => runtime.context('ledger').ingest(items, { principal: { sub: 'ingest', role: 'consumer' } }));
      if (answer.kind === 'answer') {
        for (const result of answer.value as IngestResult[]) {
          const record = this.book.ingested.get(result.key);
          if (record && record.outcome === 'unknown') record.outcome = result.status;
        }
        return;
      }
      if (answer.kind === 'refused') return;
      await sleep(random.int(100, 800));
    }
  }

  /** One request to a live gateway; `unknown` when it died, timed out, or the store could not say. */
  private async call<T>(random: Random, work: (runtime: Runtime) => Promise<T>): Promise<{ kind: 'answer'; value: T } | { kind: 'refused' | 'unknown'; reason: string }> {
    const gateways = this.world.alive('gateway');
    if (gateways.length === 0) {
      await sleep(200);
      return { kind: 'unknown', reason: 'no gateway' };
    }
    const gateway: SimProcess = random.pick(gateways);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer in time')), requestTimeoutMs)));
    try {
      return { kind: 'answer', value: await Promise.race([gateway.guard(work(gateway.runtime)), timeout]) };
    } catch (error) {
      if (error instanceof ProblemError && error.status < 500) return { kind: 'refused', reason: `${error.status} ${error.problem.type}: ${error.message}` };
      const reason = error instanceof ProcessDied ? error.message : `${(error as Error).name}: ${(error as Error).message.split('\n')[0]}`;
      return { kind: 'unknown', reason };
    } finally {
      clearTimeout(timer);
    }
  }
}
