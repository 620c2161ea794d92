import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CoreConfig } from '@eventloom/core';
import { childEnv } from '@eventloom/core/testing';
import type { CacheStats, Category } from '../src/index.ts';

const script = fileURLToPath(new URL('./children/cache-child.ts', import.meta.url));

/** Another process reading categories through its own cache, asked over stdin/stdout. */
export async function startCacheChild(config: CoreConfig, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [script], { env: childEnv(config, env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const pending = new Map<number, (message: Record<string, unknown>) => void>();
  let ready: (message: Record<string, unknown>) => void;
  const readyMessage = new Promise<Record<string, unknown>>((resolve) => (ready = resolve));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    if (message.ready) ready(message);
    else pending.get(message.req as number)?.(message);
  });
  void exited.then(() => {
    for (const resolve of pending.values()) resolve({ error: `child exited: ${stderr}` });
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const started = await Promise.race([readyMessage, exited.then(() => undefined)]);
  clearTimeout(timeout);
  if (!started) throw new Error(`the cache child did not start:\n${stderr}`);

  let next = 0;
  const ask = (request: Record<string, unknown>): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const req = ++next;
      pending.set(req, (message) => {
        pending.delete(req);
        if (message.error) reject(new Error(String(message.error)));
        else resolve(message);
      });
      child.stdin!.write(`${JSON.stringify({ ...request, req })}\n`);
    });

  return {
    levels: started.levels as string,
    get: async (id: number) => (await ask({ op: 'get', id })).category as Category | null,
    list: async () => (await ask({ op: 'list' })).categories as Category[],
    stats: async () => (await ask({ op: 'stats' })).stats as CacheStats,
    async stop() {
      child.stdin!.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
