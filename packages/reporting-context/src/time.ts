/**
 * Reports bucket time in UTC: an hour is `2026-03-01T14`, a day `2026-03-01`. Keys
 * sort as text in time order, so a range of hours is one RowKey range query.
 */
const hourMs = 3_600_000;

/** The instant an order's `OrderDate` names (the contract says UTC ISO). */
export function instantOf(iso: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`not an instant: ${iso}`);
  return date;
}

export const hourKey = (at: Date): string => at.toISOString().slice(0, 13);
export const dayKey = (at: Date): string => at.toISOString().slice(0, 10);

/** The start of the hour a key names. */
export const hourStart = (key: string): Date => new Date(`${key}:00:00.000Z`);

export const startOfHour = (at: Date): Date => new Date(Math.floor(at.getTime() / hourMs) * hourMs);

export const addHours = (at: Date, hours: number): Date => new Date(at.getTime() + hours * hourMs);

/** Every hour key in [from, to), oldest first. */
export function hoursBetween(from: Date, to: Date): string[] {
  const keys: string[] = [];
  for (let at = startOfHour(from); at < to; at = addHours(at, 1)) keys.push(hourKey(at));
  return keys;
}
