import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayClient, ProblemError } from '@eventloom/client';
import { Command, Option } from 'commander';
import { credentials } from './admin/accounts.ts';
import { adminLive, cancelRebuild, overview as readOverview, rebuildStatus, signInAdmin, startRebuilds, type Rebuild, type RebuildTarget } from './admin/rebuilds.ts';
import { duration, key, RebuildBars } from './admin/rebuild-bars.ts';

/**
 * `./eventloom rebuild balances`: rebuilds views through the gateway's admin API
 * (shadow tables, swapped in when caught up; readers keep the old view meanwhile)
 * and shows a progress bar per projection until every one is done.
 */
const program = new Command('eventloom rebuild')
  .description('rebuild views from the event history, with no downtime, and follow their progress')
  .argument('[projection]', 'the projection to rebuild (e.g. balances)')
  .option('--context <name>', "rebuild every projection of this context (or the named one in it)")
  .option('--all', 'rebuild every projection of every context')
  .option('--cancel', 'cancel the named rebuilds instead of starting them')
  .addOption(new Option('--gateway <url>', 'the gateway').env('GATEWAY_URL').default('http://127.0.0.1:8787'))
  .addOption(new Option('--user <name>', 'an admin account (default: the admin in EVENTLOOM_HOME/accounts.json)').env('EVENTLOOM_USER'))
  .addOption(new Option('--password <password>', 'its password (default: from EVENTLOOM_HOME/accounts.json)').env('EVENTLOOM_PASSWORD'))
  .addHelpText('after', '\nExamples:\n  ./eventloom rebuild balances\n  ./eventloom rebuild --context banking\n  ./eventloom rebuild --all\n  ./eventloom rebuild balances --cancel')
  .showHelpAfterError('(./eventloom rebuild --help shows how)');

interface Options {
  context?: string;
  all?: boolean;
  cancel?: boolean;
  gateway: string;
  user?: string;
  password?: string;
}

/** How often records are also fetched, in case the stream missed a message. */
const pollMs = 2000;

async function main(): Promise<number> {
  program.parse();
  const options = program.opts<Options>();
  const projection = program.args[0];
  if (!projection && !options.context && !options.all) program.error('name a projection, or use --context NAME or --all');
  if (options.all && (projection || options.context)) program.error('--all rebuilds everything: leave out the projection and --context');

  const api = new GatewayClient({ baseUrl: options.gateway });
  await signInAdmin(api, credentials(options.user, options.password));
  const target = { ...(options.context ? { context: options.context } : {}), ...(projection ? { projection } : {}) };
  if (options.cancel) return cancel(api, target);

  const abort = new AbortController();
  const events = await adminLive(api, abort.signal);
  const rebuilds = await startRebuilds(api, target);
  say(`rebuilding ${rebuilds.map(key).join(', ')} (readers keep the current views until each is swapped in)`);
  const bars = new RebuildBars(rebuilds);
  const interrupted = new Promise<'interrupted'>((resolve) => process.once('SIGINT', () => resolve('interrupted')));

  const follow = (async () => {
    for await (const event of events) {
      if (event.event === 'rebuild') bars.update(JSON.parse(event.data) as Rebuild);
      if (bars.allFinished) return;
    }
  })().catch(() => undefined);
  const poll = (async () => {
    while (!bars.allFinished && !abort.signal.aborted) {
      await sleep(pollMs);
      await Promise.all(rebuilds.map(async (r) => bars.update(await rebuildStatus(api, r.context, r.projection)))).catch(() => undefined);
    }
  })();
  const outcome = await Promise.race([Promise.race([follow, poll]).then(() => (bars.allFinished ? 'finished' : 'lost')), interrupted]);
  abort.abort();
  bars.stop();

  if (outcome === 'interrupted') {
    say(`stopped watching; the rebuilds go on in the workers (cancel with: ./eventloom rebuild ${projection ?? ''}${options.context ? ` --context ${options.context}` : ''}${options.all ? ' --all' : ''} --cancel)`);
    return 130;
  }
  if (outcome === 'lost') {
    say('the gateway stopped answering before the rebuilds finished; they go on in the workers');
    return 1;
  }
  let failed = 0;
  for (const rebuild of bars.latest.values()) {
    if (rebuild.state === 'done') {
      const took = rebuild.startedAt && rebuild.finishedAt ? (Date.parse(rebuild.finishedAt) - Date.parse(rebuild.startedAt)) / 1000 : undefined;
      say(`${key(rebuild)} rebuilt: ${rebuild.done ?? 0} events in ${duration(took)}, generation ${rebuild.generation ?? '?'} is live`);
    } else {
      failed++;
      say(`${key(rebuild)} ${rebuild.state}${rebuild.error ? `: ${rebuild.error}` : ''}; the previous view keeps serving`);
    }
  }
  return failed === 0 ? 0 : 1;
}

/** Cancels the running rebuilds among those named. */
async function cancel(api: GatewayClient, target: RebuildTarget): Promise<number> {
  const overview = await readOverview(api);
  const named = overview.contexts
    .filter((c) => !target.context || c.name === target.context)
    .flatMap((c) => c.projections)
    .filter((p) => !target.projection || p.name === target.projection);
  if (named.length === 0) {
    const known = overview.contexts.flatMap((c) => c.projections.map((p) => `${c.name}/${p.name}`));
    throw new Error(`there is no projection ${[target.context, target.projection].filter(Boolean).join('/')}; the projections are ${known.join(', ')}`);
  }
  const running = named.filter((p) => p.rebuild && ['requested', 'running', 'cancel-requested'].includes(p.rebuild.state));
  if (running.length === 0) {
    say(`no rebuild of ${named.map((p) => `${p.context}/${p.name}`).join(', ')} is running`);
    return 1;
  }
  for (const p of running) {
    await cancelRebuild(api, p.context, p.name);
    say(`${p.context}/${p.name}: cancel requested; its shadow tables are dropped and the current view stays`);
  }
  return 0;
}

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`eventloom rebuild: ${message}\n`);
    process.exit(error instanceof ProblemError && error.status === 404 ? 2 : 1);
  },
);
