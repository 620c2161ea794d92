import type { TableClient, TransactionAction } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { KeyedAppender } from '../src/store/keyed-append.ts';
import { versionKey } from '../src/store/keys.ts';
import { PendingMarkers } from '../src/store/pending-markers.ts';
import { config, storageOf } from './helpers.ts';

/** The table, counting every entity its queries hand back (a point read counts one). */
function counting(table: TableClient): { table: TableClient; rowsRead: () => number } {
  let rows = 0;
  const listEntities = table.listEntities.bind(table);
  const getEntity = table.getEntity.bind(table);
  const counted = Object.create(table) as TableClient;
  counted.listEntities = ((options?: Parameters<TableClient['listEntities']>[0]) => {
    const iterator = listEntities(options);
    // Row by row or page by page, every entity handed back counts.
    const rowByRow = (async function* () {
      for await (const row of iterator) {
        rows++;
        yield row;
      }
    })();
    return {
      next: () => rowByRow.next(),
      [Symbol.asyncIterator]() {
        return this;
      },
      byPage: (settings?: { maxPageSize?: number }) =>
        (async function* () {
          for await (const page of iterator.byPage(settings)) {
            rows += page.length;
            yield page;
          }
        })(),
    };
  }) as unknown as TableClient['listEntities'];
  counted.getEntity = (async (...args: Parameters<TableClient['getEntity']>) => {
    rows++;
    return getEntity(...args);
  }) as TableClient['getEntity'];
  return { table: counted, rowsRead: () => rows };
}

/** `commits` commit rows written straight into a partition, as earlier processes left them. */
async function commitsBefore(table: TableClient, partition: string, commits: number): Promise<void> {
  for (let first = 1; first <= commits; first += 100) {
    const actions: TransactionAction[] = [];
    for (let c = first; c < Math.min(first + 100, commits + 1); c++) actions.push(['create', { partitionKey: partition, rowKey: versionKey(c), kind: 'commit', keys: '[]', at: new Date(0).toISOString() }]);
    await table.submitTransaction(actions);
  }
}

describe('a keyed append after a restart', () => {
  it.each([0, 999, 1_000, 1_001, 3_500])('goes to the position after %i earlier commits, reading a page and a few rows, not every commit', async (commits) => {
    const cfg = config(`keyedhead${commits}`);
    const storage = storageOf(cfg);
    const events = await storage.table('shop', 'Events');
    await commitsBefore(events, 'orders-01', commits);
    const { table, rowsRead } = counting(events);
    const appender = new KeyedAppender({ table: Promise.resolve(table), writer: Promise.resolve(events), container: () => storage.container('shop'), markers: new PendingMarkers(storage, 'shop'), attemptMs: 4_000 });
    const result = await appender.append('orders-01', [{ key: 'pay-1', event: { type: 'OrderPlaced', data: { n: 1 } } }], { who: 'test', correlationId: 'c', causationId: 'c' });
    expect(result.commit).toBe(commits + 1);
    // At most one page of commit keys and a galloping search: not a row per earlier commit.
    expect(rowsRead()).toBeLessThanOrEqual(1_000 + 2 * Math.ceil(Math.log2(commits + 2)) + 4);
  });

  it('starts from the mark its predecessor left: what a fresh appender reads does not grow with the partition', { timeout: 30_000 }, async () => {
    const storage = storageOf(config('keyedheadmark'));
    const events = await storage.table('shop', 'Events');
    const parts = (table: TableClient) => ({ table: Promise.resolve(table), writer: Promise.resolve(events), container: () => storage.container('shop'), markers: new PendingMarkers(storage, 'shop'), attemptMs: 4_000 });
    const earlier = new KeyedAppender(parts(events));
    // One order a request, as a busy shop ingests them: a commit each.
    for (let n = 1; n <= 350; n++) await earlier.append('orders-01', [{ key: `pay-${n}`, event: { type: 'OrderPlaced', data: { n } } }], { who: 'test', correlationId: 'c', causationId: 'c' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { table, rowsRead } = counting(events);
    const fresh = new KeyedAppender(parts(table));
    const result = await fresh.append('orders-01', [{ key: 'pay-351', event: { type: 'OrderPlaced', data: { n: 351 } } }], { who: 'test', correlationId: 'c', causationId: 'c' });
    expect(result.commit).toBe(351);
    // The mark, a check that its commit is there, and the commits after it: not all 350.
    expect(rowsRead()).toBeLessThanOrEqual(100 + 4);
  });
});
