/** Edits to the gateway so it mounts a new context: one import, one list entry, one dependency. */

const keywords = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await arguments eval undefined').split(' '),
);

/** The identifier host.ts imports the context as: its name, unless that is taken. */
export function hostIdentifier(name: string, host: string): string {
  return keywords.has(name) || new RegExp(`\\b${name}\\b`).test(host) ? `${name}Context` : name;
}

/**
 * host.ts with the context imported (among the other context imports, in
 * alphabetical order) and appended to `export const contexts = [...]`.
 */
export function addToHost(host: string, name: string): string {
  const specifier = `@eventloom/${name}-context`;
  if (host.includes(`'${specifier}'`)) throw new Error(`apps/gateway/src/host.ts imports ${specifier} already`);
  const list = /(export const contexts\b[^=]*=\s*\[)([^\]]*)(\])/.exec(host);
  if (!list) {
    throw new Error('apps/gateway/src/host.ts has no `export const contexts = [...]` list; add the context to the gateway by hand');
  }
  const ident = hostIdentifier(name, host);
  const entries = list[2]!;
  const grown = entries.includes('\n')
    ? `${entries.replace(/\s*$/, '')}${/,\s*$/.test(entries) ? '' : ','}\n  ${ident},\n`
    : `${entries.trim().replace(/,$/, '')}${entries.trim() ? ', ' : ''}${ident}`;
  const withEntry = host.slice(0, list.index) + list[1] + grown + list[3] + host.slice(list.index + list[0].length);

  const lines = withEntry.split('\n');
  const importLine = `import ${ident} from '${specifier}';`;
  const contextImport = /^import \w+ from '(@eventloom\/[a-z0-9-]+-context)';/;
  const contextImports = lines.map((line, i) => ({ i, match: contextImport.exec(line) })).filter((l) => l.match);
  const after = contextImports.find((l) => l.match![1]! > specifier);
  let at: number;
  if (after) at = after.i;
  else if (contextImports.length > 0) at = contextImports.at(-1)!.i + 1;
  else at = Math.max(0, lines.findIndex((line) => line.startsWith('import ')));
  lines.splice(at, 0, importLine);
  return lines.join('\n');
}

/** The gateway's package.json text with the context as a workspace dependency. */
export function addDependency(packageJson: string, name: string): string {
  const pkg = JSON.parse(packageJson) as { dependencies?: Record<string, string> };
  pkg.dependencies = { ...pkg.dependencies, [`@eventloom/${name}-context`]: 'workspace:*' };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}
