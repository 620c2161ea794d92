import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const generator = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('the order generator command line', () => {
  // The README's `pnpm --filter @eventloom/order-generator start -- --rate 50 --duration 30`
  // reaches the program as `-- --rate 50 --duration 30` under pnpm 12.
  it('takes its options after the `--` pnpm passes on', () => {
    const result = generator('--', '--rate', '50', '--duration', '30', '--help');
    expect(result.stderr).not.toMatch(/too many arguments/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--rate <orders\/s>/);
  });

  it('still refuses a bad value with a readable message', () => {
    const result = generator('--', '--rate', '-3');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/rate must be a number above 0/);
  });
});
