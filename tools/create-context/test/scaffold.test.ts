/**
 * `pnpm create-context <name>` in a temporary copy of this working tree, with a name
 * not in it (see freeName): the new package type-checks, its tests pass, the schema
 * check is green, and the real gateway (apps/gateway/src/main.ts, on the Azurite and
 * Redis of this test run) answers its routes under /api/<name>. Nothing is edited by
 * hand in between. Then docs/add-a-context.md is followed to its end, as written.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followGuide, guideBlocks } from './guide-steps.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A name the guide does not use and this tree does not have: `ship` and four random
 * letters (`EVENTLOOM_SCAFFOLD_NAME` to replay one), so that over runs the guide is
 * followed with many names, and a team's own `shipping` never collides with it.
 */
function freeName(): string {
  const host = readFileSync(join(repoRoot, 'apps/gateway/src/host.ts'), 'utf8');
  const taken = (name: string) => existsSync(join(repoRoot, 'packages', `${name}-context`)) || new RegExp(`\\b${name}\\b`).test(host) || existsSync(join(repoRoot, 'schemas', name));
  if (process.env.EVENTLOOM_SCAFFOLD_NAME) return process.env.EVENTLOOM_SCAFFOLD_NAME;
  for (;;) {
    const name = `ship${Array.from({ length: 4 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')}`;
    if (!taken(name)) return name;
  }
}
const name = freeName();
const copy = mkdtempSync(join(tmpdir(), 'eventloom-create-context-'));
const children = new Set<ChildProcess>();

/** The environment of a child that runs its own vitest or gateway: none of this run's vitest settings. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VITEST|npm_|INIT_CWD$|NODE_OPTIONS$)/.test(key)));
  return { ...env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

/** Runs a command in the copy; resolves with its output, rejects with the output's tail. */
function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: copy, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} ended with ${code ?? signal}:\n${output.slice(-4000)}`));
    });
  });
}

/** The files git would see (tracked and new, not ignored): no node_modules, no local state. */
function copyWorkingTree(): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of new Set(listed.stdout.split('\0').filter(Boolean))) {
    const from = join(repoRoot, file);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(from, join(copy, file));
  }
}

/** Output without terminal colours. */
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForHealth(url: string, gateway: ChildProcess, log: () => string): Promise<void> {
  // Generous: on a busy machine it starts beside a type check and a test run.
  const until = Date.now() + 150_000;
  while (Date.now() < until) {
    if (gateway.exitCode !== null) throw new Error(`the gateway exited with ${gateway.exitCode}:\n${log().slice(-4000)}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the gateway did not answer at ${url}/health:\n${log().slice(-4000)}`);
}

let scaffoldOutput = '';

beforeAll(async () => {
  copyWorkingTree();
  scaffoldOutput = await run(process.execPath, ['tools/create-context/src/main.ts', name], 180_000);
}, 200_000);

afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
  if (!process.env.EVENTLOOM_KEEP_SCAFFOLD) rmSync(copy, { recursive: true, force: true });
});

describe(`pnpm create-context ${name}`, () => {
  it('creates the package, mounts it in the gateway and records its schema', () => {
    expect(scaffoldOutput).toContain(`The ${name} context is ready`);
    for (const file of ['package.json', 'README.md', 'tsconfig.json', 'src/index.ts', 'src/contracts.ts', 'src/item/decide.ts', 'src/item/item.test.ts', 'test/api.test.ts']) {
      expect(existsSync(join(copy, `packages/${name}-context`, file)), file).toBe(true);
    }
    const host = readFileSync(join(copy, 'apps/gateway/src/host.ts'), 'utf8');
    expect(host).toContain(`import ${name} from '@eventloom/${name}-context';`);
    expect(host).toMatch(new RegExp(`export const contexts[^=]*= \\[[^\\]]*\\b${name}\\b[^\\]]*\\]`));
    expect(JSON.parse(readFileSync(join(copy, 'apps/gateway/package.json'), 'utf8')).dependencies[`@eventloom/${name}-context`]).toBe('workspace:*');
    expect(existsSync(join(copy, `apps/gateway/node_modules/@eventloom/${name}-context/package.json`))).toBe(true);
    expect(JSON.parse(readFileSync(join(copy, `schemas/${name}/ItemCreated.v1.json`), 'utf8'))).toMatchObject({ title: `${name}.ItemCreated v1` });
    // Its routes are typed in the client at once (packages/client/test/gateway-types.test.ts would fail otherwise).
    expect(readFileSync(join(copy, 'packages/client/src/gateway-types.ts'), 'utf8')).toContain(`"/api/${name}/items/{id}"`);
    // docs/add-a-context.md's next step, in the copy made a repository for it.
    const git = (...args: string[]) => spawnSync('git', args, { cwd: copy, encoding: 'utf8' });
    git('init', '-q');
    expect(git('add', `schemas/${name}`).status).toBe(0);
    expect(git('status', '--porcelain', `schemas/${name}`).stdout).toContain(`A  schemas/${name}/ItemCreated.v1.json`);
  });

  it(`refuses a second ${name}, a reserved name and a bad name, saying why`, async () => {
    const refusal = (asked: string) => run(process.execPath, ['tools/create-context/src/main.ts', asked], 30_000);
    await Promise.all([
      expect(refusal(name)).rejects.toThrow(`"${name}" exists already (packages/${name}-context)`),
      expect(refusal('admin')).rejects.toThrow('"admin" is reserved'),
      expect(refusal('Billing')).rejects.toThrow('did you mean "billing"?'),
    ]);
  });

  // One step, run side by side: each waits mostly on its own process. The package's
  // tests run on this run's Azurite and Redis (the root config would start a second
  // Azurite and load every project), with the same timeouts as the root config.
  it(`type-checks, passes its own tests and the schema check, and answers under /api/${name}`, { timeout: 240_000 }, async () => {
    writeFileSync(
      join(copy, 'vitest.scaffolded.config.ts'),
      `export default { test: { include: ['packages/${name}-context/{src,test}/**/*.test.ts'], testTimeout: 20_000, hookTimeout: 30_000 } };\n`,
    );
    const [types, lint, tests, schemas] = await Promise.all([
      run('pnpm', ['--filter', `@eventloom/${name}-context`, 'run', 'check-types'], 180_000),
      run('pnpm', ['--filter', `@eventloom/${name}-context`, 'run', 'lint'], 180_000),
      run('pnpm', ['exec', 'vitest', 'run', '--config', 'vitest.scaffolded.config.ts'], 180_000),
      run(process.execPath, ['tools/schema-check/src/main.ts', '--context', name], 60_000),
      gatewayAnswers(),
    ]);
    expect(types).toContain('tsc -p tsconfig.json');
    expect(lint).toContain('tsc -p tsconfig.json --noUnusedLocals');
    expect(plain(tests)).toMatch(/Tests\s+10 passed/);
    expect(schemas).toContain('schema-check: ok');
  });

  // The guide's steps 3-8 as written (docs/add-a-context.md): its code blocks put where
  // it says, then its commands, their outputs as it shows them. Each step's time is logged.
  it('follows docs/add-a-context.md to the end: the archive rule, the view column, the contract, its schema, green tests, the new route', { timeout: 300_000 }, async () => {
    const guide = readFileSync(join(repoRoot, 'docs/add-a-context.md'), 'utf8');
    const timed = async <T>(step: string, work: () => Promise<T> | T): Promise<T> => {
      const started = Date.now();
      const result = await work();
      console.log(`guide ${step}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return result;
    };
    await timed('steps 3-5 (code)', () => followGuide(guide, copy, name));
    const shell = guideBlocks(guide.replaceAll('shipping', name)).filter((b) => b.lang === 'sh');
    // Step 3's command: the typed client learns the archive route (its types test checks it in steps 7-8).
    const [generate, wrote] = shell.find((b) => b.step === 3)!.code.split('#').map((part) => part.trim());
    expect(generate).toBe('pnpm --filter @eventloom/client generate');
    expect(await timed('step 3 (client types)', () => run('pnpm', generate!.split(' ').slice(1), 120_000))).toContain(wrote);
    // Step 6: the check names the unrecorded schema, --record writes it, then it passes.
    const record = shell.find((b) => b.step === 6)!.code;
    const said = (command: string) => record.split('\n').find((line) => line.startsWith(command))!.split('#')[1]!.trim();
    const unrecorded = await timed('step 6 (schema-check)', () => run(process.execPath, ['tools/schema-check/src/main.ts', '--context', name], 60_000).then(() => 'passed', (error: Error) => error.message));
    expect(unrecorded).toContain(said('pnpm schema-check '));
    expect(await timed('step 6 (--record)', () => run(process.execPath, ['tools/schema-check/src/main.ts', '--context', name, '--record'], 60_000))).toContain(said('pnpm schema-check --record').replace(/^\+ /, ''));
    // Step 6's example: rename `title` to `name` in ItemCreated, and the check says what the guide shows.
    const shown = guideBlocks(guide.replaceAll('shipping', name)).find((b) => b.step === 6 && b.lang === '' && b.code.includes('✗'))!.code.trim().split('\n');
    const events = join(copy, `packages/${name}-context/src/item/events.ts`);
    const before = readFileSync(events, 'utf8');
    writeFileSync(events, before.replace('z.object({ itemId: z.string(), title: z.string() })', 'z.object({ itemId: z.string(), name: z.string() })'));
    const broken = await run(process.execPath, ['tools/schema-check/src/main.ts', '--context', name], 60_000).then(() => 'passed', (error: Error) => error.message);
    writeFileSync(events, before);
    for (const line of shown) expect(broken).toContain(line);
    // Steps 7 and 8: types, lint, the package's tests (the guide added two), the check; the routes step 8 lists.
    const listed = shell
      .find((b) => b.step === 8 && b.code.includes('openapi.json'))!
      .code.split('\n')
      .flatMap((line) => /^# "(\/api\/[^"]+)"$/.exec(line)?.slice(1) ?? []);
    expect(listed).toContain(`/api/${name}/items/{id}/archive`);
    // Step 7's ./eventloom test also runs the client's types test: the copy's client must know every route now.
    writeFileSync(join(copy, 'vitest.client-types.config.ts'), `export default { test: { include: ['packages/client/test/gateway-types.test.ts'], testTimeout: 60_000 } };\n`);
    const [types, lint, tests, schemas, clientTypes] = await timed('steps 7-8', () =>
      Promise.all([
        run('pnpm', ['--filter', `@eventloom/${name}-context`, 'run', 'check-types'], 180_000),
        run('pnpm', ['--filter', `@eventloom/${name}-context`, 'run', 'lint'], 180_000),
        run('pnpm', ['exec', 'vitest', 'run', '--config', 'vitest.scaffolded.config.ts'], 180_000),
        run(process.execPath, ['tools/schema-check/src/main.ts', '--context', name], 60_000),
        run('pnpm', ['exec', 'vitest', 'run', '--config', 'vitest.client-types.config.ts'], 180_000),
        gatewayAnswers(listed),
      ]),
    );
    expect(types).toContain('tsc -p tsconfig.json');
    expect(lint).toContain('tsc -p tsconfig.json --noUnusedLocals');
    expect(plain(tests)).toMatch(/Tests\s+12 passed/);
    expect(schemas).toContain('schema-check: ok');
    expect(plain(clientTypes)).toMatch(/Tests\s+1 passed/);
  });
});

/** Starts apps/gateway/src/main.ts in the copy, signs in as admin, creates an item and reads it back; its OpenAPI lists `paths` too. */
async function gatewayAnswers(paths: string[] = []): Promise<void> {
  const port = await freePort();
  const home = join(copy, '.eventloom-test-home');
  let log = '';
  const gateway = spawn(process.execPath, ['apps/gateway/src/main.ts'], {
    cwd: copy,
    env: childEnv({ PORT: String(port), EVENTLOOM_HOME: home, EVENTLOOM_PREFIX: `tship${port}`, LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(gateway);
  gateway.stdout!.on('data', (chunk) => (log += chunk));
  gateway.stderr!.on('data', (chunk) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, gateway, () => log);

  const { accounts } = JSON.parse(readFileSync(join(home, 'accounts.json'), 'utf8')) as { accounts: Array<{ username: string; password: string }> };
  const admin = accounts.find((a) => a.username === 'admin')!;
  const signIn = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: admin.username, password: admin.password }),
  });
  const { token } = (await signIn.json()) as { token: string };
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };

  const created = await fetch(`${url}/api/${name}/items`, {
    method: 'POST',
    headers: { ...headers, Prefer: 'wait=10' },
    body: JSON.stringify({ id: 'parcel-1', title: 'First parcel' }),
  });
  expect(created.status, await created.clone().text()).toBe(200);
  const item = await fetch(`${url}/api/${name}/items/parcel-1`, { headers });
  expect(await item.json()).toMatchObject({ id: 'parcel-1', title: 'First parcel', renames: 0 });
  expect((await fetch(`${url}/api/${name}/items`)).status).toBe(401);

  const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining([`/api/${name}/items`, `/api/${name}/items/{id}`, `/api/${name}/items/{id}/rename`]));
  // What the guide's listing shows, exactly (its `grep … | sort -u`).
  if (paths.length > 0) expect([...new Set(Object.keys(openapi.paths).filter((path) => path.startsWith(`/api/${name}/`)))].sort()).toEqual([...paths].sort());

  gateway.kill('SIGTERM');
  await new Promise((resolve) => gateway.once('close', resolve));
  children.delete(gateway);
}
