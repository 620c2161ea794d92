import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs a README's shell text the way a reader would: bash, from a repository root,
 * after `source scripts/bootstrap.sh`. Each script runs in its own process group, so
 * stopping it stops everything it started (pnpm, node, Azurite, background jobs).
 */
export interface Shell {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Outcome {
  code: number | null;
  output: string;
}

/** The environment of a child that runs tools of its own: none of this test run's vitest or pnpm settings. */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const kept = Object.fromEntries(Object.entries(env).filter(([key]) => !/^(VITEST|npm_|INIT_CWD$|NODE_OPTIONS$|PNPM_SCRIPT_SRC_DIR$|FORCE_COLOR$)/.test(key)));
  return { ...kept, NO_COLOR: '1' };
}

const running = new Set<number>();

function start(script: string, shell: Shell) {
  const child = spawn('bash', ['-c', `source scripts/bootstrap.sh >/dev/null || exit 97\n${script}`], {
    cwd: shell.cwd,
    env: shell.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child.pid!);
  const state = { output: '', code: undefined as number | null | undefined };
  child.stdout.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
  child.on('exit', (code, signal) => (state.code = code ?? (signal ? null : -1)));
  return { pid: child.pid!, state };
}

/** True while any process of the group is alive. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a script's whole process group: SIGTERM, then SIGKILL whatever is left after a grace period. */
export async function stopGroup(pid: number, graceMs = 5_000): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(-pid, signal);
    } catch {
      break;
    }
    const until = Date.now() + graceMs;
    while (groupAlive(pid) && Date.now() < until) await sleep(100);
    if (!groupAlive(pid)) break;
  }
  running.delete(pid);
}

/** Stops every group still running (a failed test leaves nothing behind). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((pid) => stopGroup(pid, 2_000)));
}

/** Runs the script to its end, or stops it after `timeoutMs`. */
export async function runToEnd(script: string, shell: Shell, timeoutMs: number): Promise<Outcome> {
  const { pid, state } = start(script, shell);
  const until = Date.now() + timeoutMs;
  while (state.code === undefined && Date.now() < until) await sleep(100);
  const timedOut = state.code === undefined;
  await stopGroup(pid, 1_000);
  return { code: timedOut ? null : state.code!, output: timedOut ? `${state.output}\n[stopped after ${timeoutMs} ms]` : state.output };
}

/**
 * Starts a long-running script and stops it as soon as `ready` says it works, or
 * after `timeoutMs`. A script that ends with an error before that fails; one that
 * ends cleanly may have left background jobs working, so `ready` is still asked.
 */
export async function runBriefly(script: string, shell: Shell, ready: (output: string) => boolean | Promise<boolean>, timeoutMs: number): Promise<Outcome & { ready: boolean }> {
  const { pid, state } = start(script, shell);
  const until = Date.now() + timeoutMs;
  let ok = false;
  while (Date.now() < until) {
    if (await ready(state.output)) {
      ok = true;
      break;
    }
    if (state.code !== undefined && state.code !== 0) break;
    await sleep(250);
  }
  await stopGroup(pid);
  return { code: state.code ?? null, output: state.output, ready: ok };
}

/**
 * A throwaway copy of the working tree (the files git would see, the READMEs' edits
 * included) for commands that write to it. Its node_modules are links to this tree's,
 * so it needs no install; nothing done in it reaches the repository.
 */
export function workingCopy(root: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'eventloom-readme-'));
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of new Set(listed.stdout.split('\0').filter(Boolean))) {
    if (!existsSync(join(root, file))) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  const linked = ['node_modules', '.tools'];
  for (const parent of ['apps', 'packages', 'tools']) {
    if (!existsSync(join(root, parent))) continue;
    for (const entry of readdirSync(join(root, parent))) linked.push(join(parent, entry, 'node_modules'));
  }
  for (const path of linked) {
    if (existsSync(join(root, path)) && existsSync(dirname(join(dir, path)))) symlinkSync(join(root, path), join(dir, path));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
