/**
 * Cursor paging as the gateway's list routes do it: a page is `{ items, cursor? }`
 * and a page may be short, so the end is the first page without a cursor.
 */

export interface CursorPage<T> {
  items: T[];
  cursor?: string;
}

/**
 * Every page of a listing, reading the next only when asked:
 * `for await (const page of pages((cursor) => body(client.api.GET('/api/banking/events', { params: { query: { cursor } } }))))`.
 */
export async function* pages<P extends CursorPage<unknown>>(read: (cursor: string | undefined) => Promise<P>): AsyncGenerator<P> {
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    yield page;
    cursor = page.cursor;
  } while (cursor);
}

/** Every item of a listing, page after page. */
export async function* items<T>(read: (cursor: string | undefined) => Promise<CursorPage<T>>): AsyncGenerator<T> {
  for await (const page of pages(read)) yield* page.items;
}
