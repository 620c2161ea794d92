import { createHash } from 'node:crypto';

/**
 * A fingerprint of a command: aggregate, command name and validated input, with object
 * keys sorted so that `{a, b}` and `{b, a}` agree. An idempotency key sent again with
 * another fingerprint is a different request, not a retry.
 */
export function commandFingerprint(aggregate: string, command: string, input: unknown): string {
  return createHash('sha256').update(`${aggregate}\u0000${command}\u0000${canonical(input)}`).digest('base64url').slice(0, 32);
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}
