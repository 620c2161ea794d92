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

  it('with --eventhub, needs an Event Hubs connection string and says which variable to set', () => {
    const env = { ...process.env, ORDERS_EVENTHUB_CONNECTION_STRING: '', ORDERS_EVENTHUB_NAME: '' };
    const missing = spawnSync(process.execPath, [main, '--eventhub', '--duration', '1'], { encoding: 'utf8', timeout: 30_000, env });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/--eventhub needs a connection string: set ORDERS_EVENTHUB_CONNECTION_STRING/);
    const noHub = spawnSync(process.execPath, [main, '--eventhub', '--duration', '1'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...env, ORDERS_EVENTHUB_CONNECTION_STRING: 'Endpoint=sb://contoso-orders.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0' },
    });
    expect(noHub.status).toBe(1);
    expect(noHub.stderr).toMatch(/ORDERS_EVENTHUB_NAME: the event hub/);
  });
});
