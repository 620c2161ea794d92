import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDependency, addToHost } from './gateway.ts';
import { refuseName } from './name.ts';

const templateDir = fileURLToPath(new URL('../template/', import.meta.url));
export const hostPath = 'apps/gateway/src/host.ts';
export const gatewayPackagePath = 'apps/gateway/package.json';

export interface ScaffoldOptions {
  root: string;
  name: string;
  /** Run `pnpm install --prefer-offline` and record the contract's schema (default true). */
  install?: boolean;
  /** Progress lines for the person running it. */
  say?: (line: string) => void;
}

/** A name the user cannot use; its message is meant to be shown as it is. */
export class RefusedName extends Error {}

/** Files of the template, as paths relative to the new package, with their rendered text. */
export function renderTemplate(name: string): Map<string, string> {
  const values: Record<string, string> = { name, Title: name[0]!.toUpperCase() + name.slice(1) };
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      const text = readFileSync(path, 'utf8').replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
        if (!(key in values)) throw new Error(`template ${relative(templateDir, path)}: unknown placeholder ${whole}`);
        return values[key]!;
      });
      files.set(relative(templateDir, path).replace(/\.tmpl$/, ''), text);
    }
  };
  walk(templateDir);
  return files;
}

/**
 * Creates `packages/{name}-context` from the template, mounts it in the gateway
 * (host.ts and package.json), installs, records its published schema and types its
 * routes in @eventloom/client. Every
 * check runs before the first file is written.
 */
export function scaffold({ root, name, install = true, say = () => {} }: ScaffoldOptions): string {
  const refusal = refuseName(name, root);
  if (refusal) throw new RefusedName(refusal);
  const target = join(root, 'packages', `${name}-context`);
  const host = addToHost(readFileSync(join(root, hostPath), 'utf8'), name);
  const gatewayPackage = addDependency(readFileSync(join(root, gatewayPackagePath), 'utf8'), name);
  const files = renderTemplate(name);

  for (const [path, text] of files) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    writeFileSync(join(target, path), text);
  }
  say(`created packages/${name}-context (${files.size} files)`);
  writeFileSync(join(root, hostPath), host);
  writeFileSync(join(root, gatewayPackagePath), gatewayPackage);
  say(`mounted it in ${hostPath} and ${gatewayPackagePath}`);
  if (!install) return target;

  say('pnpm install --prefer-offline');
  run(root, 'pnpm', ['install', '--prefer-offline', '--no-frozen-lockfile', '--reporter=append-only'], 'pnpm install failed; run it yourself, then `pnpm schema-check --record`');
  const schemaCheck = join(root, 'tools/schema-check/src/main.ts');
  if (existsSync(schemaCheck)) {
    run(root, process.execPath, [schemaCheck, '--record', '--context', name, '--root', root], 'recording the schema failed; run `pnpm schema-check --record`');
  }
  // The typed client knows a context's routes once its types are regenerated from the gateway that mounts it.
  const clientTypes = join(root, 'packages/client/scripts/generate.ts');
  if (existsSync(clientTypes)) {
    say('pnpm --filter @eventloom/client generate');
    run(root, process.execPath, [clientTypes], 'regenerating the client types failed; run `pnpm --filter @eventloom/client generate`');
  }
  return target;
}

function run(cwd: string, command: string, args: string[], hint: string): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.error) throw new Error(`${command}: ${result.error.message}; ${hint}`);
  if (result.status !== 0) throw new Error(`${command} ${args[0]} exited with ${result.status}; ${hint}`);
}
