/**
 * The headers a command takes: `Prefer: wait=N` holds the answer until the views
 * show the result (read-your-writes, 200 instead of 202), and an Idempotency-Key
 * makes a repeat of the same command answer the first result (`duplicate: true`).
 */
export interface CommandOptions {
  /** Seconds the gateway may hold the answer until the views show the command. */
  wait?: number;
  /** Send the same key again to repeat a command safely; a fresh one is made per call when absent. */
  idempotencyKey?: string;
}

export interface CommandHeaders {
  'idempotency-key': string;
  prefer?: string;
}

/** Header parameters for a command route: `params: { path, header: command({ wait: 5 }) }`. */
export function command(options: CommandOptions = {}): CommandHeaders {
  return {
    'idempotency-key': options.idempotencyKey ?? crypto.randomUUID(),
    ...(options.wait !== undefined ? { prefer: `wait=${options.wait}` } : {}),
  };
}
