/**
 * docs/add-a-context.md steps 3–5 applied to a scaffolded context as a reader would:
 * every piece of code comes from the guide's own code blocks (and the two edits its
 * prose names in backticks), put where the guide says. When a block no longer says
 * what the code needs (a missing import, a renamed anchor), the edit or the type check
 * after it fails, naming the step.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GuideBlock {
  /** The step number of the `## N. …` heading the block is under (0 before any). */
  step: number;
  lang: string;
  code: string;
}

/** Fenced code blocks with the step they belong to. */
export function guideBlocks(markdown: string): GuideBlock[] {
  const blocks: GuideBlock[] = [];
  let step = 0;
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of markdown.split('\n')) {
    if (open) {
      if (line.startsWith('```')) {
        blocks.push({ step, lang: open.lang, code: open.lines.join('\n') });
        open = undefined;
      } else open.lines.push(line);
      continue;
    }
    const heading = /^## (\d+)\./.exec(line);
    if (heading) step = Number(heading[1]);
    else if (line.startsWith('```')) open = { lang: line.slice(3).trim(), lines: [] };
  }
  return blocks;
}

class GuideError extends Error {}

/** One edit of a file of the package; fails naming the step when its anchor is not there. */
class Package {
  private readonly dir: string;
  private readonly step: string;

  constructor(dir: string, step: string) {
    this.dir = dir;
    this.step = step;
  }

  edit(file: string, change: (text: string) => string): void {
    const path = join(this.dir, file);
    writeFileSync(path, change(readFileSync(path, 'utf8')));
  }

  /** Replaces the one occurrence of `anchor` (a string or the first match of a pattern). */
  replace(file: string, anchor: string | RegExp, replacement: (found: string) => string): void {
    this.edit(file, (text) => {
      const match = typeof anchor === 'string' ? (text.includes(anchor) ? anchor : undefined) : anchor.exec(text)?.[0];
      if (match === undefined) throw new GuideError(`${this.step}: ${file} has no ${String(anchor)} to change`);
      return text.replace(match, () => replacement(match));
    });
  }

  /** The guide's import line replaces the file's import from the same module. */
  importFrom(file: string, line: string): void {
    const module = /from '([^']+)'/.exec(line)?.[1];
    if (!module) throw new GuideError(`${this.step}: not an import: ${line}`);
    this.replace(file, new RegExp(`^import [^;]*from '${module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}';$`, 'm'), () => line);
  }
}

const indent = (code: string, by: string) =>
  code
    .split('\n')
    .map((line) => (line ? by + line : line))
    .join('\n');

/** The lines of a block after an `// in …:` marker line, up to the next marker or the end. */
function after(code: string, marker: RegExp, step: string): string {
  const lines = code.split('\n');
  const start = lines.findIndex((line) => marker.test(line));
  if (start < 0) throw new GuideError(`${step}: the guide's block has no line ${marker}`);
  const end = lines.findIndex((line, i) => i > start && /^\s*\/\/ in /.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n').trim();
}

/** What an inline marker (`// in X:  code`) puts at X. */
function inline(code: string, marker: RegExp, step: string): string {
  const line = code.split('\n').find((l) => marker.test(l));
  if (!line) throw new GuideError(`${step}: the guide's block has no line ${marker}`);
  return line.replace(marker, '').trim();
}

const importLines = (code: string) => code.split('\n').filter((line) => line.startsWith('import '));

/** Applies steps 3, 4 and 5 of the guide to `packages/{name}-context` under `root`. */
export function followGuide(markdown: string, root: string, name: string): void {
  // The guide's example is `shipping`: the reader types their own name.
  const blocks = guideBlocks(markdown.replaceAll('shipping', name)).filter((b) => b.lang === 'ts');
  const dir = join(root, 'packages', `${name}-context`);
  const of = (step: number, count: number) => {
    const found = blocks.filter((b) => b.step === step).map((b) => b.code);
    if (found.length < count) throw new GuideError(`step ${step}: expected ${count} ts blocks in the guide, found ${found.length}`);
    return found;
  };

  // 3. The event, the rule, the command and the test.
  {
    const [events, decide, test] = of(3, 3) as [string, string, string];
    const pkg = new Package(dir, 'step 3');
    pkg.replace('src/item/events.ts', /^export const itemEvents = .*$/m, () => events.trim());
    for (const line of importLines(decide)) pkg.importFrom('src/item/decide.ts', line);
    const state = /export interface ItemState \{[^}]*\}/.exec(decide)?.[0];
    if (!state) throw new GuideError('step 3: the decide.ts block has no ItemState');
    pkg.replace('src/item/decide.ts', /export interface ItemState \{[^}]*\}/, () => state);
    pkg.replace('src/item/decide.ts', /initialState: \(\): ItemState => .*,$/m, () => `initialState: (): ItemState => ${inline(decide, /^\/\/ initialState:\s*\(\) =>/, 'step 3')},`);
    pkg.replace('src/item/decide.ts', /\n(\s*)default:\n\s*return state;/, (found) => `\n${found.slice(1, found.indexOf('default'))}${inline(decide, /^\/\/ evolve:\s*/, 'step 3')}${found}`);
    const rule = decide.split('\n').find((line) => line.includes('state.archived') && line.includes('throw'));
    if (!rule) throw new GuideError('step 3: the decide.ts block has no rule refusing an archived item');
    pkg.replace('src/item/decide.ts', /(rename: \{[\s\S]*?if \(!state\.created\)[^\n]*\n)/, (found) => `${found}        ${rule.trim()}\n`);
    const archive = decide.slice(decide.indexOf('    archive: {'));
    if (!decide.includes('    archive: {')) throw new GuideError('step 3: the decide.ts block has no archive command');
    pkg.replace('src/item/decide.ts', /\n {2}\},\n\}\);\s*$/, (found) => `\n${archive.trimEnd()}${found}`);
    for (const line of importLines(test)) pkg.importFrom('src/item/item.test.ts', line);
    pkg.replace('src/item/item.test.ts', /(describe\('item decider', \(\) => \{\n)/, (found) => `${found}${indent(after(test, /^\/\/ in describe\('item decider'\)/, 'step 3'), '  ')}\n\n`);
  }

  // 4. The projection column, its test, the API field and the route.
  {
    const [projection, test, route] = of(4, 3) as [string, string, string];
    const pkg = new Package(dir, 'step 4');
    for (const line of importLines(projection)) pkg.importFrom('src/item/projection.ts', line);
    const handles = projection.split('\n').find((line) => line.startsWith('handles:'));
    if (!handles) throw new GuideError('step 4: the projection block has no handles line');
    pkg.replace('src/item/projection.ts', /^\s*handles: .*$/m, () => `  ${handles}`);
    pkg.replace('src/item/projection.ts', /renames: Number\(row\?\.renames \?\? 0\),\n/, (found) => `${found}        ${inline(projection, /^\/\/ in `current`:\s*/, 'step 4')}\n`);
    pkg.replace('src/item/projection.ts', /\n(\s*)default:\n\s*return current;/, (found) => `\n${found.slice(1, found.indexOf('default'))}${inline(projection, /^\/\/ in the switch:\s*/, 'step 4')}${found}`);
    pkg.replace('src/item/item.test.ts', /(describe\('items projection', \(\) => \{\n)/, (found) => `${found}${indent(after(test, /^\/\/ in describe\('items projection'\)/, 'step 4'), '  ')}\n\n`);
    // The two edits the prose names: `archived: z.boolean()` in the Item schema, `archived: Boolean(row.archived)` in toItem.
    const prose = /\(`(archived: z\.boolean\(\))` in the `Item` schema,\s*`(archived: Boolean\(row\.archived\))` in `toItem`\)/.exec(markdown);
    if (!prose) throw new GuideError('step 4: the guide no longer names the Item schema and toItem edits');
    pkg.replace('src/item/api.ts', /renames: z\.number\(\)\.int\(\)/, (found) => `${found}, ${prose[1]}`);
    pkg.replace('src/item/api.ts', /renames: Number\(row\.renames \?\? 0\),\n/, (found) => `${found}  ${prose[2]},\n`);
    const definition = route.slice(0, route.indexOf('// in itemRoutes:')).trim();
    if (!route.includes('// in itemRoutes:')) throw new GuideError('step 4: the route block does not say what goes in itemRoutes');
    pkg.replace('src/item/api.ts', /\nconst toItem = /, (found) => `\n${definition}\n${found}`);
    pkg.replace('src/item/api.ts', /\n\}\s*$/, (found) => `\n${indent(after(route, /^\/\/ in itemRoutes:/, 'step 4'), '  ')}${found}`);
  }

  // 5. The published contract and the module consumers import.
  {
    const [contract, exports] = of(5, 2) as [string, string];
    const pkg = new Package(dir, 'step 5');
    for (const line of importLines(contract)) pkg.importFrom('src/index.ts', line);
    const entry = after(contract, /^\/\/ in contracts\.published/, 'step 5');
    pkg.replace('src/index.ts', /(published: \[\n\s*\{[\s\S]*?\n {6}\},\n)/, (found) => `${found}${indent(entry, '      ')}\n`);
    pkg.replace('src/contracts.ts', /^export \{[^}]*\} from '\.\/item\/events\.ts';$/m, () => exports.trim());
  }
}
