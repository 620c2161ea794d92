import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { azuriteConnectionString } from '../config.ts';

export interface AzuriteOptions {
  /** Directory for a persistent store; omit (or set inMemory) for a throwaway one. */
  location?: string;
  inMemory?: boolean;
  /** 0 or omitted picks a free port. */
  blobPort?: number;
  tablePort?: number;
  /** How long to wait for both services to listen; default 30 s. */
  startTimeoutMs?: number;
}

export interface RunningAzurite {
  blobPort: number;
  tablePort: number;
  connectionString: string;
  /** The azurite child's pid, for callers that report what they started. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Azurite exits by itself when the process that started it goes away, even on
 * SIGKILL of the parent (no exit handler runs then): this preload polls the
 * parent pid and sends Azurite its own SIGTERM, so it shuts down cleanly (and
 * exits anyway 10 s later).
 */
const orphanGuard =
  'data:text/javascript,' +
  encodeURIComponent(
    'const p=process.ppid;const t=setInterval(()=>{if(process.ppid!==p){clearInterval(t);process.kill(process.pid,"SIGTERM");setTimeout(()=>process.exit(1),10000).unref()}},1000);t.unref();',
  );

/** The azurite entry script, from the repository's (or the caller's) node_modules. */
export function azuriteBin(): string {
  const bases = [import.meta.url, join(process.cwd(), 'package.json')];
  for (const base of bases) {
    try {
      const pkgPath = createRequire(base).resolve('azurite/package.json');
      const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: Record<string, string> };
      const bin = pkg.bin['azurite'];
      if (bin) return resolve(dirname(pkgPath), bin);
    } catch {
      // try the next base
    }
  }
  throw new Error('azurite is not installed: run `pnpm install` at the repository root (it is a root devDependency)');
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function listeningPort(output: string, service: 'Blob' | 'Table'): number | undefined {
  const match = new RegExp(`Azurite ${service} service is successfully listening at https?://[^:\\s]+:(\\d+)`).exec(output);
  return match ? Number(match[1]) : undefined;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const inMemory = options.inMemory ?? !options.location;
  const args = [
    '--silent',
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    '--blobHost', '127.0.0.1',
    '--tableHost', '127.0.0.1',
    '--queueHost', '127.0.0.1',
    '--blobPort', String(options.blobPort ?? 0),
    '--tablePort', String(options.tablePort ?? 0),
    '--queuePort', '0',
  ];
  if (inMemory) {
    args.push('--inMemoryPersistence');
  } else {
    if (!options.location) throw new Error('startAzurite: inMemory: false needs a location');
    const location = resolve(options.location);
    mkdirSync(location, { recursive: true });
    args.push('-l', location);
  }

  const child = spawn(process.execPath, ['--import', orphanGuard, azuriteBin(), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  killAllOnExit();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  void exited.then(() => running.delete(child));

  let output = '';
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const ports = await new Promise<{ blobPort: number; tablePort: number }>((ready, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`Azurite did not start within ${timeoutMs / 1000} s (args: ${args.join(' ')}). Its output:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const blobPort = listeningPort(output, 'Blob');
      const tablePort = listeningPort(output, 'Table');
      if (blobPort && tablePort) {
        clearTimeout(timer);
        ready({ blobPort, tablePort });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(new Error(`Azurite could not be spawned: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`Azurite exited during start (code ${code}, signal ${signal}). Its output:\n${output}`));
    });
  });
  // Keep draining so a chatty Azurite never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();

  let stopping: Promise<void> | undefined;
  return {
    ...ports,
    connectionString: azuriteConnectionString(ports.blobPort, ports.tablePort),
    pid: child.pid!,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // Azurite's clean shutdown waits for clients' keep-alive sockets to close.
        // An in-memory store has nothing to flush, so it gets little patience; a
        // persistent one gets time to write its database files.
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), inMemory ? 500 : 10_000);
        await exited;
        clearTimeout(force);
      })();
      return stopping;
    },
  };
}
