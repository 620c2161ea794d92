import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Same rule as defineContext: it ends up in URLs (`/api/{name}`) and table names. */
const namePattern = /^[a-z][a-z0-9]{1,30}$/;

/** Paths under /api that the gateway serves itself. */
export const reservedNames = ['live', 'auth', 'admin', 'docs', 'health', 'metrics'] as const;

/** A context's name as each context package declares it, with where it lives. */
export function existingContexts(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const packages = join(root, 'packages');
  if (!existsSync(packages)) return found;
  for (const entry of readdirSync(packages, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.endsWith('-context')) continue;
    const dir = `packages/${entry.name}`;
    found.set(entry.name.slice(0, -'-context'.length), dir);
    // The declared name may differ from the folder's.
    const index = join(packages, entry.name, 'src', 'index.ts');
    const declared = existsSync(index) && /defineContext\(\{\s*name:\s*['"]([a-z0-9]+)['"]/.exec(readFileSync(index, 'utf8'));
    if (declared) found.set(declared[1]!, dir);
  }
  return found;
}

/** Why `name` cannot be a new context's name, or undefined when it can. */
export function refuseName(name: string | undefined, root: string): string | undefined {
  if (!name) return 'give the new context a name: pnpm create-context NAME (lower-case letters and digits, e.g. shipping)';
  if (!namePattern.test(name)) {
    const suggestion = name.toLowerCase().replace(/-?context$/, '').replace(/[^a-z0-9]/g, '');
    const hint = namePattern.test(suggestion) && suggestion !== name ? ` — did you mean "${suggestion}"?` : '';
    return `"${name}" is not a context name: use 2-31 lower-case letters and digits, starting with a letter${hint}`;
  }
  if ((reservedNames as readonly string[]).includes(name)) {
    return `"${name}" is reserved: the gateway serves /api/${name} itself (reserved: ${reservedNames.join(', ')})`;
  }
  const existing = existingContexts(root).get(name);
  if (existing) return `"${name}" exists already (${existing}); pick another name`;
  if (existsSync(join(root, 'packages', `${name}-context`))) return `packages/${name}-context exists already; pick another name`;
  return undefined;
}
