import { spawn, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import type { CoreConfig } from '../config.ts';

/** A JSON line a child printed on stdout. */
export type ChildMessage = Record<string, unknown>;

export interface Child {
  /** JSON lines the child printed so far. */
  messages: ChildMessage[];
  readonly stderr: string;
  /** Resolves once `test` holds for the messages so far; rejects if the child exits first. */
  until(test: (messages: ChildMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves with the first message matching `test`. */
  waitFor(test: (message: ChildMessage) => boolean, timeoutMs?: number): Promise<ChildMessage>;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * The environment of a child process that runs a runtime on the test's storage, Redis
 * and prefix. Nothing else of the parent's passes, so a developer's own settings cannot
 * leak into a crash test.
 */
export function childEnv(config: CoreConfig, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AZURE_STORAGE_CONNECTION_STRING: config.AZURE_STORAGE_CONNECTION_STRING,
    REDIS_URL: config.REDIS_URL,
    EVENTLOOM_PREFIX: config.EVENTLOOM_PREFIX,
    LOG_LEVEL: 'silent',
    ...env,
  };
}

const running = new Set<ChildProcess>();
let killOnExit = false;

/**
 * Runs `script` (a TypeScript file) with node on the test's storage and Redis and
 * collects the JSON lines it prints. For crash tests: the test kills it at a chosen
 * moment; any child still running when the test process exits is killed with it.
 */
export function startChild(script: string, config: CoreConfig, env: Record<string, string> = {}): Child {
  if (!killOnExit) {
    killOnExit = true;
    process.on('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const name = basename(script);
  const child = spawn(process.execPath, [script], { env: childEnv(config, env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  void exited.then(() => running.delete(child));
  const messages: ChildMessage[] = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      try {
        messages.push(JSON.parse(line) as ChildMessage);
      } catch {
        // not ours
      }
      for (const listener of listeners) listener();
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });

  const until = (test: (messages: ChildMessage[]) => boolean, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (test(messages)) {
          cleanup();
          resolve();
        }
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`${name} exited (code ${child.exitCode}) before the awaited output; stderr:\n${stderr}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${name} did not print the awaited output within ${timeoutMs} ms; stderr:\n${stderr}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off('exit', onExit);
      };
      listeners.add(check);
      child.once('exit', onExit);
      check();
    });

  return {
    messages,
    get stderr() {
      return stderr;
    },
    until,
    async waitFor(test, timeoutMs) {
      let found: ChildMessage | undefined;
      await until((all) => (found = all.find(test)) !== undefined, timeoutMs);
      return found!;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
