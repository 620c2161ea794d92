import type { ContextRuntime, IngestItem } from '@eventloom/core';
import { OrderPlaced } from './events.ts';
import { movieIndexOf } from './movie-index.ts';
import { orderPartition } from './partition.ts';
import { validateOrder, type OrderValidation } from './validate.ts';

/**
 * What every way in (the HTTP routes, the Event Hubs source) does with incoming
 * orders: validate them against the movie index, and key the valid ones for
 * `runtime.ingest`, so an order is stored once however it arrived and however often.
 */

/** One incoming order: the parsed JSON, or why it could not be read. */
export type Entry = { json: unknown } | { unreadable: string };

/** Validates against the movie index, reloading it once if an order names a movie it does not know. */
export async function validateAll(runtime: ContextRuntime, entries: Entry[]): Promise<OrderValidation[]> {
  const index = await movieIndexOf(runtime).current();
  const run = () => entries.map((entry): OrderValidation => ('json' in entry ? validateOrder(entry.json, index) : { ok: false, errors: { '(body)': [entry.unreadable] } }));
  const results = run();
  const unknownMovie = results.some((r) => !r.ok && Object.entries(r.errors).some(([field, messages]) => field.endsWith('.ProductId') && messages.some((m) => m.includes('catalog'))));
  if (unknownMovie && (await index.refresh())) return run();
  return results;
}

/** The stored order's key is its PaymentTransactionId, in the partition that key alone chooses. */
export const itemOf = (order: Extract<OrderValidation, { ok: true }>['order']): IngestItem => ({
  key: order.PaymentTransactionId,
  partition: orderPartition(order.PaymentTransactionId),
  event: OrderPlaced(order),
});
