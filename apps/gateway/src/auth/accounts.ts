import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Principal, Role } from '@eventloom/core';
import { writeOnce } from './write-once.ts';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;

/** One local sign-in. `password` is only ever in the dev convenience file. */
export interface LocalAccount {
  username: string;
  role: Role;
  name: string;
  bank?: string;
  contexts?: string[];
}

export interface AccountWithPassword extends LocalAccount {
  password: string;
}

export interface AccountWithHash extends LocalAccount {
  /** `scrypt$<salt b64>$<hash b64>` */
  passwordHash: string;
}

/** Who exists on a fresh machine: an admin, an owner per bank (seed 000) and a consumer. */
const initialAccounts: LocalAccount[] = [
  { username: 'admin', role: 'admin', name: 'Administrator' },
  { username: 'owner.firstcitizens', role: 'owner', name: 'First Citizens owner', bank: 'First Citizens' },
  { username: 'owner.republic', role: 'owner', name: 'Republic Bank owner', bank: 'Republic Bank' },
  { username: 'owner.scotia', role: 'owner', name: 'Scotia Bank owner', bank: 'Scotia Bank' },
  { username: 'consumer.demo', role: 'consumer', name: 'Demo consumer', contexts: ['*'] },
];

export function accountPaths(home: string) {
  return {
    /**
     * Plain passwords, so `./eventloom up` can print how to sign in. A local-dev
     * convenience only: it lives in the git-ignored EVENTLOOM_HOME, and the gateway
     * never reads passwords from it once the hashes exist (delete it at will).
     */
    plain: join(home, 'accounts.json'),
    /** What the gateway checks sign-ins against: scrypt hashes only. */
    hashes: join(home, 'accounts.hashes.json'),
  };
}

/**
 * Returns the accounts (with hashes), creating both files on first run. Safe when
 * several processes start at once: whichever file is written first wins.
 */
export async function ensureAccounts(home: string): Promise<AccountWithHash[]> {
  const paths = accountPaths(home);
  const existing = await readJson<{ accounts: AccountWithHash[] }>(paths.hashes);
  if (existing) return existing.accounts;

  let plain = await readJson<{ accounts: AccountWithPassword[] }>(paths.plain);
  if (!plain) {
    const fresh = { accounts: initialAccounts.map((account) => ({ ...account, password: readablePassword() })) };
    await writeOnce(paths.plain, `${JSON.stringify(fresh, null, 2)}\n`);
    plain = await readJson<{ accounts: AccountWithPassword[] }>(paths.plain);
    if (!plain) throw new Error(`could not create ${paths.plain}`);
  }
  const hashed = await Promise.all(
    plain.accounts.map(async ({ password, ...account }) => ({ ...account, passwordHash: await hashPassword(password) })),
  );
  await writeOnce(paths.hashes, `${JSON.stringify({ accounts: hashed }, null, 2)}\n`);
  const written = await readJson<{ accounts: AccountWithHash[] }>(paths.hashes);
  if (!written) throw new Error(`could not create ${paths.hashes}`);
  return written.accounts;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

/** A hash no password matches, checked for unknown users so they take as long as known ones. */
const decoyHash = hashPassword(randomBytes(12).toString('hex'));

/** Checks a sign-in; the same answer (undefined) for an unknown user and a wrong password. */
export async function checkPassword(
  accounts: readonly AccountWithHash[],
  username: string,
  password: string,
): Promise<Principal | undefined> {
  const account = accounts.find((a) => a.username === username);
  const ok = await verifyPassword(password, account?.passwordHash ?? (await decoyHash));
  if (!account || !ok) return undefined;
  return toPrincipal(account);
}

export function toPrincipal(account: LocalAccount): Principal {
  return {
    sub: account.username,
    role: account.role,
    name: account.name,
    ...(account.bank ? { bank: account.bank } : {}),
    ...(account.contexts ? { contexts: account.contexts } : {}),
  };
}

/** Four groups of four from an alphabet without look-alikes (no 0/O, 1/l/I). */
function readablePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const group = () => Array.from({ length: 4 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return [group(), group(), group(), group()].join('-');
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path} is not valid JSON; delete it to start over (${(error as Error).message})`);
  }
}
