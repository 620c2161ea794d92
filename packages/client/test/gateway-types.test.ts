/**
 * src/gateway-types.ts is what openapi-typescript makes of the gateway's document
 * with every context the host mounts: a route changed or a context mounted without
 * regenerating fails here, so a stale client never ships.
 */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { gatewayTypes, typesFile } from '../scripts/gateway-types.ts';

it('the committed gateway types are what the gateway serves now', { timeout: 60_000 }, async () => {
  const committed = await readFile(new URL(`../${typesFile}`, import.meta.url), 'utf8');
  const fresh = await gatewayTypes();
  expect(fresh.includes('"/api/banking/accounts/{customer}/{bank}/deposits"') && fresh.includes('"/api/reporting/feed"')).toBe(true);
  if (committed !== fresh) {
    const line = committed.split('\n').findIndex((text, i) => text !== fresh.split('\n')[i]) + 1;
    expect.fail(`${typesFile} is stale from line ${line}: run pnpm --filter @eventloom/client generate`);
  }
});
