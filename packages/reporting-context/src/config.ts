import { z } from 'zod';

const schema = z.object({
  /** How far apart a withdrawal and a deposit at another bank may be to raise a cross-bank alert. */
  REPORTING_ALERT_WINDOW_MINUTES: z.coerce.number().positive().max(7 * 24 * 60).default(30),
  /** How much the deposit may differ from the withdrawal, in percent of the withdrawal. */
  REPORTING_ALERT_TOLERANCE_PERCENT: z.coerce.number().min(0).max(100).default(5),
});

/** The cross-bank watch's rules (seed 000): a session window and an amount tolerance. */
export interface AlertRules {
  windowMs: number;
  tolerancePercent: number;
}

export const defaultAlertRules: AlertRules = { windowMs: 30 * 60_000, tolerancePercent: 5 };

/** Reads the reporting context's settings once; the message says what to set. */
export function loadAlertRules(env: NodeJS.ProcessEnv = process.env): AlertRules {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Reporting context configuration is invalid; set these environment variables:\n${lines.join('\n')}`);
  }
  return {
    windowMs: Math.round(result.data.REPORTING_ALERT_WINDOW_MINUTES * 60_000),
    tolerancePercent: result.data.REPORTING_ALERT_TOLERANCE_PERCENT,
  };
}
