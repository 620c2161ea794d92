import { z } from '@hono/zod-openapi';
import type { ViewPage, ViewQuery, ViewReader } from '../context/context-runtime.ts';
import { problems } from './problem.ts';

/** Query parameters and reads of a context API's paged view listings. */

export const limitParam = z.coerce
  .number('limit must be a number')
  .int('limit must be a whole number')
  .min(1, 'limit must be at least 1')
  .max(200, 'limit may be at most 200')
  .optional();

export const cursorParam = z.string().min(1).max(2048, 'cursor is too long').optional();

/** A page of a view. A cursor this API did not give out is a 400 on `cursor`, not a 500. */
export async function readPage(views: ViewReader, table: string, query: ViewQuery): Promise<ViewPage> {
  try {
    return await views.query(table, query);
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (query.cursor !== undefined && (status === undefined || status === 400)) {
      throw problems.validation({ cursor: ['cursor is not one this API gave out; start again without it'] });
    }
    throw error;
  }
}

/** A view row as the API shows it: no table keys or bookkeeping columns. */
export function withoutKeys<T extends Record<string, unknown>>(row: T): Omit<T, 'partitionKey' | 'rowKey' | '_seq' | '_p'> {
  const { partitionKey: _pk, rowKey: _rk, _seq, _p, ...rest } = row;
  return rest;
}
