import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  /** Stop waiting early, e.g. when the process that should answer has exited. */
  giveUp?: () => boolean;
}

/**
 * Polls `url` until it answers with a status below 500. Resolves true when it
 * does, false when the time is up or `giveUp` says so.
 */
export async function waitForUrl(url: string, options: WaitOptions = {}): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (options.giveUp?.()) return false;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000), redirect: 'manual' });
      await response.body?.cancel();
      if (response.status < 500) return true;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  return false;
}
