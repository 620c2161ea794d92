import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CoreConfig } from '../src/config.ts';

const script = fileURLToPath(new URL('./children/counter-child.ts', import.meta.url));

export interface Child {
  process: ChildProcess;
  /** JSON lines the child printed so far. */
  messages: Record<string, unknown>[];
  stderr: string;
  /** Resolves with the first message matching `test`. */
  waitFor(test: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  committed(): number;
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts the counter child on the test's storage and Redis. */
export function startChild(config: CoreConfig, env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [script], {
    env: {
      PATH: process.env.PATH,
      AZURE_STORAGE_CONNECTION_STRING: config.AZURE_STORAGE_CONNECTION_STRING,
      REDIS_URL: config.REDIS_URL,
      EVENTLOOM_PREFIX: config.EVENTLOOM_PREFIX,
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  void exited.then(() => children.delete(child));
  const messages: Record<string, unknown>[] = [];
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
        messages.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not ours
      }
      for (const listener of listeners) listener();
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const api: Child = {
    process: child,
    messages,
    get stderr() {
      return stderr;
    },
    waitFor(test, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(test);
          if (found) {
            cleanup();
            resolve(found);
          }
        };
        const onExit = () => {
          cleanup();
          reject(new Error(`child exited (code ${child.exitCode}) before the awaited message; stderr:\n${stderr}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`child did not send the awaited message within ${timeoutMs} ms; stderr:\n${stderr}`));
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
    },
    committed() {
      let n = 0;
      for (const m of messages) if (typeof m.committed === 'number') n = Math.max(n, m.committed);
      return n;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return api;
}

export const randomBetween = (min: number, max: number) => Math.round(min + Math.random() * (max - min));
