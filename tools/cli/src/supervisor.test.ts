import { describe, expect, it } from 'vitest';
import type { Child } from './children.ts';
import { Supervisor } from './supervisor.ts';

/** A child that exits when told to; nothing is spawned. */
function fakeChild(): Child & { exit(code: number): void } {
  let running = true;
  let done!: (result: { code: number | null; signal: NodeJS.Signals | null }) => void;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => (done = resolve));
  return {
    name: 'fake',
    process: undefined as never,
    exited,
    isRunning: () => running,
    exit(code: number) {
      running = false;
      done({ code, signal: null });
    },
    async stop() {
      if (running) this.exit(0);
    },
  };
}

function harness(options: { quickMs?: number; maxQuickExits?: number } = {}) {
  let clock = 0;
  const started: ReturnType<typeof fakeChild>[] = [];
  const lines: string[] = [];
  const waits: number[] = [];
  const gaveUp: string[] = [];
  const supervisor = new Supervisor({
    name: 'gateway',
    start: () => {
      const child = fakeChild();
      started.push(child);
      return child;
    },
    say: (line) => lines.push(line),
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    now: () => clock,
    onGiveUp: (reason) => gaveUp.push(reason),
    ...options,
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { supervisor, started, lines, waits, gaveUp, settle, advance: (ms: number) => (clock += ms) };
}

describe('Supervisor', () => {
  it('restarts a process that exits unexpectedly, saying so, with a backoff that grows while it keeps crashing', async () => {
    const { supervisor, started, lines, waits, settle } = harness();
    supervisor.start();
    for (let i = 0; i < 3; i++) {
      started.at(-1)!.exit(1);
      await settle();
    }
    expect(started).toHaveLength(4);
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(lines[0]).toMatch(/gateway exited unexpectedly \(code 1, signal null\); restarting it in 1 s/);
    expect(supervisor.isRunning()).toBe(true);
  });

  it('gives up after repeated quick crashes, with a message that says what to do', async () => {
    const { supervisor, started, gaveUp, settle } = harness({ maxQuickExits: 3 });
    supervisor.start();
    for (let i = 0; i < 3; i++) {
      started.at(-1)!.exit(1);
      await settle();
    }
    expect(started).toHaveLength(3);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toMatch(/exited 3 times in a row .* not restarting it/);
    await supervisor.done;
  });

  it('starts counting again after a run that lasted', async () => {
    const { supervisor, started, waits, advance, settle } = harness({ maxQuickExits: 2, quickMs: 10_000 });
    supervisor.start();
    started.at(-1)!.exit(1);
    await settle();
    advance(60_000); // the second run lives a minute
    started.at(-1)!.exit(1);
    await settle();
    expect(started).toHaveLength(3);
    expect(waits).toEqual([1000, 1000]);
  });

  it('restarts nothing once stopped', async () => {
    const { supervisor, started, settle } = harness();
    supervisor.start();
    await supervisor.stop();
    await settle();
    expect(started).toHaveLength(1);
    expect(supervisor.isRunning()).toBe(false);
  });
});
