import { pino, type Logger } from 'pino';

/** One structured logger per process; components take children of it. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'eventloom'): Logger {
  return pino({ name, level });
}

export type { Logger };
