import type { ViewQuery, ViewReader, ViewRow } from '@eventloom/core';

/** Every row a query matches, page after page (report tables are small: hours of a month, a catalog). */
export async function readAll(views: ViewReader, table: string, query: ViewQuery = {}): Promise<ViewRow[]> {
  const rows: ViewRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await views.query(table, { ...query, limit: 1000, ...(cursor ? { cursor } : {}) });
    rows.push(...page.rows);
    cursor = page.cursor;
  } while (cursor);
  return rows;
}
