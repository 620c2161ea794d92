import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The commands a reader of the READMEs and docs is told to type: every line of a
 * ```sh / ```bash / ```shell block (continued lines joined, trailing `# comments`
 * dropped) and every inline code span that starts with one of `programs`. Other
 * fenced blocks (directory listings, sample output, TypeScript) hold no commands.
 */
export interface ReadmeCommand {
  /** Path from the repository root. */
  file: string;
  /** 1-based line where the command starts. */
  line: number;
  /** The command as a shell would get it: one line, comment removed. */
  text: string;
  /** `block:N` for the Nth shell block of the file (commands typed one after another), `inline` for a code span. */
  where: `block:${number}` | 'inline';
}

export const programs = ['pnpm', './eventloom', 'node', 'curl', 'source', 'bash', 'git'];
const shellFences = new Set(['sh', 'bash', 'shell']);
const fence = /^\s*(`{3,}|~{3,})\s*([\w-]*)/;

/** Markdown files of the repository (tracked or new, not ignored), the scaffolder's template excluded. */
export function markdownFiles(root: string): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.md'], { cwd: root, encoding: 'utf8' });
  return [...new Set(listed.split('\0').filter(Boolean))].filter((file) => !file.includes('/template/')).sort();
}

/** Every command of every markdown file under `root`. */
export function readmeCommands(root: string): ReadmeCommand[] {
  return markdownFiles(root).flatMap((file) => extractCommands(readFileSync(join(root, file), 'utf8'), file));
}

/** The commands of one markdown text, in the order they appear. */
export function extractCommands(markdown: string, file: string): ReadmeCommand[] {
  const lines = markdown.split('\n');
  const commands: ReadmeCommand[] = [];
  let paragraph: { line: number; text: string }[] = [];
  let blocks = 0;
  const endParagraph = () => {
    commands.push(...inlineCommands(paragraph, file));
    paragraph = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim() === '') endParagraph();
      else paragraph.push({ line: i + 1, text: lines[i]! });
      continue;
    }
    endParagraph();
    const marker = open[1]!;
    const body: { line: number; text: string }[] = [];
    for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(marker); i++) body.push({ line: i + 1, text: lines[i]! });
    if (shellFences.has(open[2]!.toLowerCase())) {
      blocks++;
      commands.push(...blockCommands(body, file, blocks));
    }
  }
  endParagraph();
  return commands.sort((a, b) => a.line - b.line);
}

function blockCommands(body: { line: number; text: string }[], file: string, block: number): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  for (let i = 0; i < body.length; i++) {
    const start = body[i]!.line;
    let text = body[i]!.text;
    while (/\\\s*$/.test(text) && i + 1 < body.length) text = `${text.replace(/\\\s*$/, '').trimEnd()} ${body[++i]!.text.trim()}`;
    text = withoutComment(text).trim();
    if (text) commands.push({ file, line: start, text, where: `block:${block}` });
  }
  return commands;
}

/** Code spans of a paragraph (they may wrap onto the next line) that start with a program. */
function inlineCommands(paragraph: { line: number; text: string }[], file: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  const text = paragraph.map((p) => p.text).join('\n');
  const lineAt = (offset: number) => paragraph[text.slice(0, offset).split('\n').length - 1]!.line;
  for (const span of text.matchAll(/(`+)([^`]+?)\1(?!`)/g)) {
    const code = span[2]!.replace(/\s+/g, ' ').trim();
    if (programs.some((program) => code.startsWith(`${program} `))) {
      commands.push({ file, line: lineAt(span.index), text: code, where: 'inline' });
    }
  }
  return commands;
}

/** The line without a trailing `# comment` (a `#` that starts a word outside quotes). */
export function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}
