/**
 * Every command in the READMEs and docs runs as written (issue 11, "the newcomer's
 * first hour"). Each command has a plan below: run to its end, run briefly until its
 * output shows it works, run against one stack started with `./eventloom up`, or
 * covered by a named test that still contains it. A command without a plan fails
 * this file, and so does a plan that matches no command any more.
 *
 * What runs differs from the README only by these, each named where it is used:
 * on the stack, the gateway's address and the placeholder passwords (and $TOKEN, $ID
 * and GATEWAY_URL/EVENTLOOM_HOME in the environment, as the READMEs say to set them);
 * `vitest list` for `vitest run` (the suites run elsewhere; listing proves the projects
 * and paths resolve); free ports for example ports a server would listen on.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/ports.ts';
import { readmeCommands, type ReadmeCommand } from '../src/readme-commands.ts';
import { childEnv, runBriefly, runToEnd, stopAll, workingCopy, type Shell } from './shell.ts';
import { startStack, type Stack } from './stack.ts';

const root = resolve(import.meta.dirname, '../../..');
const commands = readmeCommands(root);

type Matcher = string | RegExp;
type Where = 'repo' | 'copy' | 'stack';

interface Context {
  output: string;
  /** The free port standing in for a port the README names. */
  port: (readme: number) => number;
  stack: Stack | undefined;
  scratch: string;
  /** Letters and digits of this plan alone, e.g. for a storage prefix. */
  unique: string;
}

interface Rewrite {
  why: string;
  apply: (script: string) => string;
}

interface Executed {
  commands: Matcher[];
  where: Where;
  rewrite: Rewrite[];
  /** Example ports in the text that become free ones (servers the script starts). */
  ports: number[];
  env?: (context: Context) => Record<string, string>;
  seconds: number;
}
type Plan =
  | (Executed & { how: 'run'; expect?: RegExp; exit: number; probe?: string })
  | (Executed & { how: 'briefly'; until: RegExp | ((context: Context) => Promise<boolean>) })
  | { how: 'covered'; commands: Matcher[]; evidence: { file: string; contains: string }[]; reason: string };

type Options = Partial<Omit<Executed, 'commands'>>;
const list = (m: Matcher | Matcher[]) => (Array.isArray(m) ? m : [m]);
const run = (m: Matcher | Matcher[], o: Options & { expect?: RegExp; exit?: number; probe?: string } = {}): Plan =>
  ({ where: 'repo', rewrite: [], ports: [], seconds: 60, exit: 0, ...o, how: 'run', commands: list(m) });
const briefly = (m: Matcher | Matcher[], until: RegExp | ((context: Context) => Promise<boolean>), o: Options = {}): Plan =>
  ({ where: 'repo', rewrite: [], ports: [], seconds: 60, ...o, how: 'briefly', until, commands: list(m) });
const covered = (m: Matcher | Matcher[], evidence: { file: string; contains: string }[], reason: string): Plan =>
  ({ how: 'covered', commands: list(m), evidence, reason });

const listTests: Rewrite = { why: 'vitest list instead of vitest run', apply: (s) => s.replace(/\bvitest run\b/g, 'vitest list') };
// `vitest list` reads test files without running them, so it cannot list what a skipIf wraps (the
// integration tests skip without Azurite); it can still list the files.
const listFiles: Rewrite = { why: 'vitest list --filesOnly instead of vitest run', apply: (s) => s.replace(/\bvitest run\b/g, 'vitest list --filesOnly') };
const healthOnly: Rewrite = { why: 'only the health check: systemctl restarts nothing here', apply: (s) => s.split(' || ')[0]! };
const noPortal: Rewrite = { why: 'up without the portal: its build is not what this checks, and a build stopped midway would break the portal tests', apply: (s) => s.replace(/\.\/eventloom up$/m, './eventloom up --no-portal') };
const listed = (file: RegExp) => new RegExp(`${file.source}\\S* > \\S`);
const scaffoldTest = 'tools/create-context/test/scaffold.test.ts';

const answers = (url: string, wanted = (status: number) => status < 500) =>
  fetch(url, { redirect: 'manual' }).then((r) => wanted(r.status), () => false);
/** The portal signs a user in through its form: it reaches the gateway it was given. */
async function portalSignsIn(portal: string, stack: Stack): Promise<boolean> {
  const response = await fetch(`${portal}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: portal, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'admin', password: stack.password }),
  }).catch(() => undefined);
  return response?.status === 303 && (response.headers.get('set-cookie') ?? '').includes('eventloom_token=');
}

const plans: Plan[] = [
  // The whole stack and the whole suite: their own tests run them.
  covered('./eventloom up', [{ file: 'tools/cli/test/up.e2e.test.ts', contains: "spawn(join(root, 'eventloom'), ['up']" }],
    'runs until Ctrl-C; up.e2e.test.ts runs it to ready, through a gateway restart and Ctrl-C (this file runs it too, for its stack)'),
  covered('./eventloom test', [{ file: '.ci/run', contains: 'exec ./eventloom test' }], 'runs every suite, this file included; CI runs it (.ci/run)'),
  run('source scripts/bootstrap.sh', { probe: 'node -p "process.versions.node.split(\'.\')[0] >= 22" && pnpm --version', expect: /^true\n\d+\.\d+\.\d+/m }),

  // Checks that run fully.
  run('pnpm schema-check', { expect: /schema-check: ok/ }),
  run('pnpm schema-check --strict', { expect: /schema-check: ok/ }),
  run('pnpm schema-check --context banking', { expect: /9 published events in banking\n.*schema-check: ok/ }),
  run('pnpm schema-check --record', { where: 'copy', expect: /schema-check: ok|recorded/ }),
  run('pnpm --filter @eventloom/banking-context exec tsc -p .', { seconds: 90 }),
  run('pnpm --filter @eventloom/reporting-context exec tsc -p .', { seconds: 90 }),
  run('pnpm create-context shipping --no-install', { where: 'copy', expect: /The shipping context is ready/ }),
  run('pnpm --filter @eventloom/portal test', { expect: /Tests\s+\d+ passed/ }),
  // A consumer's client from /openapi.json: the test does the same in process (the gateway's document, openapi-typescript's
  // own function) and then type-checks a consumer program against the types, which the shell pair alone would not.
  covered(['curl -s localhost:8787/openapi.json -o openapi.json', 'pnpm dlx openapi-typescript@7 openapi.json -o gateway.ts'],
    [{ file: 'packages/client/scripts/gateway-types.ts', contains: "app.request('http://127.0.0.1:8787/openapi.json')" }, { file: 'packages/client/test/consumer-types.test.ts', contains: 'astToString(await openapiTS(document))' }],
    'consumer-types.test.ts generates types from the served /openapi.json with openapi-typescript and type-checks test/consumer/consumer.ts against them'),
  // Regenerating the committed client types leaves them as they are (else they were stale: gateway-types.test.ts says so too).
  // Compared with the file as it was, not with git's copy: a team's new context's routes are typed before they commit.
  run('pnpm --filter @eventloom/client generate', {
    rewrite: [{ why: 'a copy of the types first, to compare', apply: (s) => `before=$(mktemp) && cp packages/client/src/gateway-types.ts "$before"\n${s}` }],
    probe: 'cmp -s "$before" packages/client/src/gateway-types.ts && echo "types unchanged"',
    expect: /wrote src\/gateway-types\.ts[^]*types unchanged/,
  }),

  // Test runs: listed, not run.
  run('pnpm vitest run --project @eventloom/core', { rewrite: [listTests], expect: listed(/\[@eventloom\/core\] packages\/core\//) }),
  run('pnpm vitest run --project e2e', { rewrite: [listTests], expect: listed(/\[e2e\] apps\/portal\/test\/banking\.e2e/) }),
  run('pnpm vitest run --project e2e apps/portal/test/banking.e2e', { rewrite: [listTests], expect: listed(/banking\.e2e\.test\.ts/) }),
  run('pnpm --filter @eventloom/gateway exec vitest run', { rewrite: [listTests], expect: listed(/test\//) }),
  run('pnpm vitest run --project @eventloom/gateway', { rewrite: [listTests], expect: listed(/\[@eventloom\/gateway\] apps\/gateway\//) }),
  run(/^HOSTILE_SEED=\d+ pnpm vitest run --project @eventloom\/gateway apps\/gateway\/test\/hostile-input\.integration\.test\.ts$/,
    { rewrite: [listFiles], expect: /^\[@eventloom\/gateway\] apps\/gateway\/test\/hostile-input\.integration\.test\.ts$/m }),
  run('pnpm exec vitest run packages/banking-context', { rewrite: [listTests], expect: listed(/packages\/banking-context\//) }),
  run('pnpm exec vitest run packages/orders-context', { rewrite: [listTests], expect: listed(/packages\/orders-context\//) }),
  run('pnpm exec vitest run packages/reporting-context', { rewrite: [listTests], expect: listed(/packages\/reporting-context\//) }),
  run('pnpm vitest run --project @eventloom/orders-context packages/orders-context/test/event-hubs-checkpoints.test.ts packages/orders-context/test/event-hubs-source.test.ts',
    { rewrite: [listTests], expect: listed(/packages\/orders-context\/test\/event-hubs-source\.test\.ts/) }),

  // Long runs: started as written, stopped once they show they work.
  briefly('pnpm sim --seed 7', /^seed 7 running: /m),
  briefly('pnpm sim --seed 7 --partitions 4', /^seed 7 running: .*4 feed partitions/m),
  briefly('pnpm sim --seeds 1..200', /^seed \d+ running: /m),
  briefly('pnpm sim --soak 30m', /^seed \d+ running: /m),
  briefly('pnpm --filter @eventloom/bench bench --quick', /^\s+raw\s+\d+\/s/m, { seconds: 90 }),
  briefly('pnpm --filter @eventloom/bench bench', /Azurite \(in-memory\).*\n\n\[append\]/),
  briefly('pnpm --filter @eventloom/bench bench --only append,long --out /tmp/b.json', /Azurite \(in-memory\).*\n\n\[append\]/),
  briefly('pnpm --filter @eventloom/bench bench --only workers', /Azurite \(in-memory\).*\n\n\[workers\]/),
  briefly('pnpm --filter @eventloom/bench bench --quick --only throttled', /Azurite \(in-memory\).*\n\n\[throttled\]/),
  briefly(/^BENCH_PROFILE_DIR=\/tmp\/prof pnpm --filter @eventloom\/bench bench --quick --only rebuild --out \/tmp\/r\.json$/, /Azurite \(in-memory\).*\n\n\[rebuild\]/),
  // The profile of the gateway path, for one second (DURATION_MS) on the run's Azurite (the README says to start one).
  run('node --cpu-prof --cpu-prof-dir=/tmp/prof tools/bench/src/profile/gateway-deposits.ts', { env: () => ({ DURATION_MS: '1000' }), expect: /deposits in 1000 ms: \d+\/s/, seconds: 90 }),
  // Storage requests per deposit, with few deposits (N) on the run's Azurite.
  run('N=200 node tools/bench/src/profile/requests-per-deposit.ts', { rewrite: [{ why: '20 deposits', apply: (s) => s.replace('N=200', 'N=20') }], expect: /20 deposits \(one after another, Prefer: wait\)[^]*\d+\.\d\d {2}in all/, seconds: 90 }),
  run('N=640 CLIENTS=32 node tools/bench/src/profile/requests-per-deposit.ts', { rewrite: [{ why: '64 deposits', apply: (s) => s.replace('N=640', 'N=64') }], expect: /64 deposits \(32 clients\)[^]*\d+\.\d\d {2}in all/, seconds: 90 }),
  // Load and abuse: each starts its stack of its own and its clients.
  ...['pnpm load', 'pnpm load --clients 20 --duration 10s', 'pnpm load --no-hostile', 'pnpm load --json /tmp/load.json'].map((c) => briefly(c, /^load: \d+ clients for \d+ s$/m, { seconds: 120 })),
  briefly('pnpm load --gateway http://127.0.0.1:8787', /^load: \d+ clients for \d+ s$/m, { where: 'stack', seconds: 120 }),
  // The throttle in front of Azurite's default Table port (10002; 10012 is its own).
  ...['pnpm throttle', 'pnpm throttle --partition-rate 200 --verbose'].map((c) => briefly(c, /TableEndpoint=http:\/\/127\.0\.0\.1:10012\//)),
  briefly(
    [/^pnpm exec azurite --silent --location \.eventloom\/azurite .* &$/, 'pnpm throttle --verbose &', /^AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;.*TableEndpoint=http:\/\/127\.0\.0\.1:10012\/devstoreaccount1;' \.\/eventloom up$/],
    () => answers('http://127.0.0.1:8787/health', (s) => s === 200),
    { rewrite: [noPortal], seconds: 120, env: ({ scratch, unique }) => ({ EVENTLOOM_HOME: join(scratch, unique), EVENTLOOM_PREFIX: unique }) },
  ),
  // On their own, on this test run's Azurite and Redis (AZURE_STORAGE_CONNECTION_STRING, REDIS_URL), each with its own prefix.
  briefly('node apps/gateway/src/main.ts', ({ port }) => answers(`http://127.0.0.1:${port(8787)}/health`, (s) => s === 200), {
    ports: [8787],
    env: ({ port, scratch, unique }) => ({ PORT: String(port(8787)), EVENTLOOM_HOME: join(scratch, unique), EVENTLOOM_PREFIX: unique }),
  }),
  briefly('node apps/gateway/src/worker.ts', /"msg":"workers running"/, {
    env: ({ scratch, unique }) => ({ EVENTLOOM_HOME: join(scratch, unique), EVENTLOOM_PREFIX: unique }),
  }),
  briefly(
    [
      'STUB_GATEWAY_PORT=8797 node apps/portal/test/stub-gateway.ts &',
      'GATEWAY_URL=http://127.0.0.1:8797 PORT=5199 node apps/portal/build/index.js &',
      'PORTAL_URL=http://127.0.0.1:5199 GATEWAY_URL=http://127.0.0.1:8797 pnpm vitest run --project e2e apps/portal/test/counter.e2e',
    ],
    async ({ output, port }) =>
      listed(/counter\.e2e\.test\.ts/).test(output) &&
      (await answers(`http://127.0.0.1:${port(8797)}/api/counter/counters`, (s) => s === 401)) &&
      (await answers(`http://127.0.0.1:${port(5199)}/login`, (s) => s === 200)),
    { ports: [8797, 5199], rewrite: [listTests] },
  ),

  // Against the stack.
  run('./eventloom rebuild balances', { where: 'stack', expect: /banking\/balances rebuilt: \d+ events/ }),
  run(/^curl -s localhost:8787\/auth\/token .*"password":"<from \.\/eventloom up>"/, { where: 'stack', expect: /"token":"eyJ/ }),
  run(/^TOKEN=\$\(curl -s -X POST localhost:8787\/auth\/token /, { where: 'stack', probe: 'echo "TOKEN=$TOKEN"', expect: /^TOKEN=eyJ/m }),
  run(/^curl -fsS --max-time 3 http:\/\/127\.0\.0\.1:8787\/health \|\| systemctl restart/, { where: 'stack', rewrite: [healthOnly], expect: /"ok":true/ }),
  run(/^curl -X POST localhost:8787\/api\/banking\/transactions /, { where: 'stack', expect: /"status":"applied".*"type":"Deposited"/ }),
  run(/^curl -X POST localhost:8787\/api\/reporting\/alerts\/\$ID\/decisions /, { where: 'stack', expect: /"status":"applied".*"type":"AlertDecided"/ }),
  briefly('pnpm --filter @eventloom/order-generator start -- --rate 50 --duration 30', /stored [1-9]/, { where: 'stack' }),
  briefly('pnpm --filter @eventloom/order-generator start -- --rate 500 --duration 60 --days 30', /dated .* to .*\)\n[^]*stored [1-9]/, { where: 'stack' }),
  briefly(
    ['source scripts/bootstrap.sh', 'pnpm --filter @eventloom/portal build', 'GATEWAY_URL=http://127.0.0.1:8787 PORT=5173 node apps/portal/build/index.js'],
    ({ port, stack }) => portalSignsIn(`http://127.0.0.1:${port(5173)}`, stack!),
    { where: 'stack', ports: [5173], seconds: 120 },
  ),

  // Event Hubs (issue 12): no namespace is reachable from here and no emulator runs, so the two commands against one are
  // covered by what does run; the orders-context README says so.
  covered(/^ORDERS_EVENTHUB_CONNECTION_STRING='Endpoint=sb:\/\/<namespace>[^']*' ORDERS_EVENTHUB_NAME=orders node apps\/gateway\/src\/worker\.ts$/,
    [{ file: 'apps/gateway/src/worker.ts', contains: 'startEventHubOrderSource(runtime, logger, eventHub)' },
      { file: 'packages/orders-context/test/event-hubs-source.test.ts', contains: 'new OrderEventHandlers(' },
      { file: 'packages/orders-context/test/event-hubs-checkpoints.test.ts', contains: 'new BlobCheckpointStore(container)' }],
    'needs a real Event Hubs namespace: the handlers run on a local partition source over a real runtime, the checkpoint store on Azurite'),
  covered(/^ORDERS_EVENTHUB_CONNECTION_STRING='Endpoint=sb:\/\/<namespace>[^']*' ORDERS_EVENTHUB_NAME=orders pnpm --filter @eventloom\/order-generator start -- --eventhub /,
    [{ file: 'tools/order-generator/test/event-hub-sender.test.ts', contains: 'new EventHubSender(fake.producer)' }, { file: 'tools/order-generator/test/cli.test.ts', contains: "'--eventhub'" }],
    "needs a real Event Hubs namespace: the sender runs against a fake producer of the SDK's shape, --eventhub's settings in cli.test.ts"),

  // The shipping context exists only after scaffolding: the scaffolder's test runs what the guide does with it.
  // Any name: a context a team scaffolded has the template's README, with these commands under its own name.
  covered([/^pnpm create-context [a-z][a-z0-9]*$/, 'pnpm create-context NAME'],
    [{ file: scaffoldTest, contains: "['tools/create-context/src/main.ts', name]" }, { file: 'package.json', contains: '"create-context": "node tools/create-context/src/main.ts"' }],
    'installs and edits the gateway; scaffold.test.ts runs it (NAME = ship and four random letters, a name not in the tree) in a copy of the working tree, then follows the guide with that name'),
  covered('pnpm install --prefer-offline', [{ file: 'tools/create-context/src/scaffold.ts', contains: "'install', '--prefer-offline'" }, { file: scaffoldTest, contains: 'tools/create-context/src/main.ts' }],
    'what the scaffolder runs after writing the files; scaffold.test.ts runs the scaffolder'),
  covered('pnpm schema-check --record --context NAME', [{ file: 'tools/create-context/src/scaffold.ts', contains: "'--record', '--context', name" }, { file: scaffoldTest, contains: 'schemas/${name}/ItemCreated.v1.json' }],
    'what the scaffolder runs for the new context; scaffold.test.ts checks the schema it records'),
  covered(/^pnpm exec vitest run packages\/[a-z][a-z0-9]*-context$/, [{ file: scaffoldTest, contains: "packages/${name}-context/{src,test}/**/*.test.ts" }],
    "scaffold.test.ts runs the new context's tests"),
  covered(/^pnpm --filter @eventloom\/[a-z][a-z0-9]*-context run check-types$/, [{ file: scaffoldTest, contains: "'--filter', `@eventloom/${name}-context`, 'run', 'check-types'" }],
    'scaffold.test.ts runs it on the new context'),
  covered('git add schemas/shipping', [{ file: scaffoldTest, contains: "'add', `schemas/${name}`" }], 'scaffold.test.ts adds the recorded schema in its copy'),
  covered(/^curl -s localhost:8787\/openapi\.json \| grep -o '"\/api\/shipping/, [{ file: scaffoldTest, contains: '`/api/${name}/items/{id}/rename`' }],
    "scaffold.test.ts reads the shipping routes from the real gateway's /openapi.json"),
  covered([/^curl (-s )?-X POST localhost:8787\/api\/[a-z][a-z0-9]*\/items /, /^curl -s localhost:8787\/api\/shipping\/items\/p1 /],
    [{ file: scaffoldTest, contains: '`${url}/api/${name}/items/parcel-1`' }], 'scaffold.test.ts creates an item through the real gateway and reads it back'),
];

const matches = (matcher: Matcher, command: ReadmeCommand) => (typeof matcher === 'string' ? command.text === matcher : matcher.test(command.text));
const at = (c: ReadmeCommand) => `${c.file}:${c.line}  ${c.text}`;
const title = (plan: Plan) => plan.commands.map((m) => (typeof m === 'string' ? m : commands.find((c) => matches(m, c))?.text ?? String(m))).join(' ⏎ ').slice(0, 140);

describe('README commands', () => {
  it('every README command has a plan, and every plan still matches a README command', () => {
    expect(commands.length).toBeGreaterThan(50);
    const unplanned = commands.filter((c) => !plans.some((p) => p.commands.some((m) => matches(m, c))));
    expect(unplanned.map(at), 'commands without a plan: add one to readme-commands.e2e.test.ts').toEqual([]);
    const stale = plans.flatMap((p) => p.commands.filter((m) => !commands.some((c) => matches(m, c))).map(String));
    expect(stale, 'plans that match no README command').toEqual([]);
  });

  it('each covered command is still in the file that runs it', () => {
    for (const plan of plans) {
      if (plan.how !== 'covered') continue;
      for (const { file, contains } of plan.evidence) {
        expect(existsSync(join(root, file)), `${file} (${plan.reason})`).toBe(true);
        expect(readFileSync(join(root, file), 'utf8'), `${file} should contain ${contains}`).toContain(contains);
      }
    }
  });

  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'eventloom-readme-scratch-'));
  });
  afterAll(async () => {
    await stopAll();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('against one stack (./eventloom up --no-portal on free ports)', () => {
    let stack: Stack | undefined;
    beforeAll(async () => {
      stack = await startStack(root, scratch);
    }, 120_000);
    afterAll(() => stack?.stop());
    for (const plan of plans) if (plan.how !== 'covered' && plan.where === 'stack') exercise(plan, () => stack);
  });

  for (const plan of plans) if (plan.how !== 'covered' && plan.where !== 'stack') exercise(plan, () => undefined);

  function exercise(plan: Exclude<Plan, { how: 'covered' }>, stackOf: () => Stack | undefined): void {
    it(`${plan.how}${plan.where === 'repo' ? '' : ` (${plan.where})`}: ${title(plan)}`, { timeout: plan.seconds * 1000 + 30_000 }, async () => {
      const texts = plan.commands.map((m) => commands.find((c) => matches(m, c))?.text);
      expect(texts, 'a command of this plan is no longer in the READMEs').not.toContain(undefined);
      const stack = stackOf();
      const ports = new Map<number, number>();
      const port = (readme: number) => ports.get(readme)!;
      for (const readme of plan.ports) ports.set(readme, await freePort());
      const unique = `readme${randomBytes(4).toString('hex')}`;

      let script = texts.join('\n');
      for (const rewrite of plan.rewrite) script = rewrite.apply(script);
      for (const readme of plan.ports) script = script.replaceAll(new RegExp(`(?<=[=:])${readme}\\b`, 'g'), String(port(readme)));
      if (stack) script = stack.substitute(script);
      if (plan.how === 'run' && plan.probe) script += `\n${plan.probe}`;
      // What a failure shows: the script as it ran, and why it differs from the README.
      const shown = [script, ...plan.rewrite.map((r) => `(${r.why})`), ...(plan.ports.length ? ['(free ports for the README\'s example ports)'] : [])].join('\n');

      const copy = plan.where === 'copy' ? workingCopy(root) : undefined;
      const context = (output: string): Context => ({ output, port, stack, scratch, unique });
      const shell: Shell = {
        cwd: copy?.dir ?? root,
        env: { ...childEnv(), ...(stack?.env(script) ?? {}), ...(plan.env?.(context('')) ?? {}) },
      };
      try {
        if (plan.how === 'run') {
          const { code, output } = await runToEnd(script, shell, plan.seconds * 1000);
          expect(code, `${shown}\n${output}`).toBe(plan.exit);
          if (plan.expect) expect(output, shown).toMatch(plan.expect);
        } else {
          const until = plan.until;
          const ready = (output: string) => (until instanceof RegExp ? until.test(output) : until(context(output)));
          const outcome = await runBriefly(script, shell, ready, plan.seconds * 1000);
          expect(outcome.ready, `${shown}\nnot shown to work (${until}); exit ${outcome.code}:\n${outcome.output.slice(-4000)}`).toBe(true);
        }
      } finally {
        copy?.remove();
      }
    });
  }
});
