import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Preload for node children: exits (via its own SIGTERM, so shutdown hooks run)
 * when the process that started it is gone, even if that one was SIGKILLed; a
 * child whose shutdown hangs is ended 10 s later.
 */
export const orphanGuard =
  'data:text/javascript,' +
  encodeURIComponent(
    'const p=process.ppid;const t=setInterval(()=>{if(process.ppid!==p){clearInterval(t);process.kill(process.pid,"SIGTERM");setTimeout(()=>process.exit(1),10000).unref()}},1000);t.unref();',
  );

const colors = [36, 35, 33, 32, 34, 31];
let nextColor = 0;

export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves when the process has exited (or failed to spawn). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The label every output line of a child starts with, padded so columns line up. */
function label(name: string): string {
  const text = name.padEnd(8);
  if (!process.stdout.isTTY) return `${text} |`;
  const color = colors[nextColor++ % colors.length];
  return `\x1b[${color}m${text} |\x1b[0m`;
}

/** Runs a process whose stdout and stderr lines are printed with its name in front. */
export function startChild(options: ChildOptions): Child {
  const prefix = label(options.name);
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', (err) => {
      process.stderr.write(`${prefix} could not start: ${err.message}\n`);
      done({ code: -1, signal: null });
    });
  });
  createInterface({ input: child.stdout! }).on('line', (line) => process.stdout.write(`${prefix} ${line}\n`));
  createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`${prefix} ${line}\n`));

  let running = true;
  void exited.then(() => (running = false));
  return {
    name: options.name,
    process: child,
    exited,
    isRunning: () => running,
    async stop(graceMs = 10_000) {
      if (!running) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(force);
    },
  };
}

/** A node script as a child, with the orphan guard preloaded. */
export function startNodeChild(options: Omit<ChildOptions, 'command'>): Child {
  return startChild({ ...options, command: process.execPath, args: ['--import', orphanGuard, ...options.args] });
}
