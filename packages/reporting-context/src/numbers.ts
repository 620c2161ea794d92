import type { ViewRow } from '@eventloom/core';

/** A numeric column of a view row (absent → 0). */
export const count = (row: ViewRow | undefined, column: string): number => Number(row?.[column] ?? 0);

/**
 * A list column. Rows hold lists as JSON text (Azure Table has no list type); a row
 * fresh from the projection's own buffer may still hold the text it wrote.
 */
export function listOf<T>(row: ViewRow | undefined, column: string): T[] {
  const value = row?.[column];
  if (value === undefined || value === null || value === '') return [];
  return (typeof value === 'string' ? JSON.parse(value) : value) as T[];
}
