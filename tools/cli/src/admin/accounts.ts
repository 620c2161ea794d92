import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../../..');

export interface Credentials {
  username: string;
  password: string;
}

/** EVENTLOOM_HOME, as the gateway and `./eventloom up` resolve it. */
export function eventloomHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.EVENTLOOM_HOME ?? join(root, '.eventloom'));
}

/**
 * Who the CLI signs in as: `--user`/`--password` when given, else the local admin
 * account the gateway wrote to EVENTLOOM_HOME/accounts.json on its first run.
 */
export function credentials(user: string | undefined, password: string | undefined, home = eventloomHome()): Credentials {
  if (user && password) return { username: user, password };
  const file = join(home, 'accounts.json');
  if (!existsSync(file)) {
    throw new Error(`no --password given and ${file} does not exist: pass --user and --password, or set EVENTLOOM_HOME to the gateway's`);
  }
  const { accounts = [] } = JSON.parse(readFileSync(file, 'utf8')) as { accounts?: { username: string; password: string; role: string }[] };
  const account = user ? accounts.find((a) => a.username === user) : accounts.find((a) => a.role === 'admin');
  if (!account) throw new Error(user ? `${file} has no account ${user}; pass --password` : `${file} has no admin account; pass --user and --password`);
  return { username: account.username, password: account.password };
}
