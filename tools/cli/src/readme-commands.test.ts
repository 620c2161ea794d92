import { describe, expect, it } from 'vitest';
import { extractCommands, withoutComment } from './readme-commands.ts';

const texts = (markdown: string) => extractCommands(markdown, 'README.md').map((c) => [c.line, c.text, c.where]);

describe('README commands', () => {
  it('reads each line of a shell block, joining continued lines and dropping trailing comments', () => {
    const markdown = [
      '# Title', //                                          1
      '',
      '```sh',
      'pnpm sim --seed 7            # one seed', //          4
      '# "/api/shipping/items"',
      '',
      "curl -s localhost:8787/auth/token -H 'content-type: application/json' \\", // 7
      '  -d \'{"username":"admin"}\'',
      '```',
    ].join('\n');
    expect(texts(markdown)).toEqual([
      [4, 'pnpm sim --seed 7', 'block:1'],
      [7, "curl -s localhost:8787/auth/token -H 'content-type: application/json' -d '{\"username\":\"admin\"}'", 'block:1'],
    ]);
  });

  it('takes bash and shell blocks too, and numbers the blocks of a file', () => {
    const markdown = ['```bash', 'git add schemas/shipping', '```', '```shell', './eventloom test', '```'].join('\n');
    expect(texts(markdown)).toEqual([
      [2, 'git add schemas/shipping', 'block:1'],
      [5, './eventloom test', 'block:2'],
    ]);
  });

  it('reads nothing from other blocks: directory listings, sample output, code', () => {
    const markdown = ['```', 'pnpm sim --seed 11   FAILED', '```', '```ts', "node.run('x');", '```', '```ini', 'ExecStart=node apps/gateway/src/main.ts', '```'].join('\n');
    expect(texts(markdown)).toEqual([]);
  });

  it('takes inline code that starts with a program, also when it wraps onto the next line', () => {
    const markdown = [
      'Run `pnpm vitest run --project', //  1
      '@eventloom/gateway` from the root, or `./eventloom up`.',
      '',
      'The `source` field, `pnpm-lock.yaml`, `nodemon x` and `node` alone are no commands.', // 4
      '| `pnpm schema-check` | compare |', // 5
    ].join('\n');
    expect(texts(markdown)).toEqual([
      [1, 'pnpm vitest run --project @eventloom/gateway', 'inline'],
      [2, './eventloom up', 'inline'],
      [5, 'pnpm schema-check', 'inline'],
    ]);
  });

  it('reads no inline code inside a fenced block', () => {
    expect(texts(['```', 'trace (replay: `pnpm sim --seed 11`):', '```'].join('\n'))).toEqual([]);
  });

  it('keeps a # that is quoted or inside a word', () => {
    expect(withoutComment(`curl -d '{"note":"# not a comment"}' x#y # comment`)).toBe(`curl -d '{"note":"# not a comment"}' x#y `);
    expect(withoutComment('echo "a \\" # b" # c')).toBe('echo "a \\" # b" ');
  });
});
