import { createLogger, type Runtime } from '@eventloom/core';
import { createGateway } from '@eventloom/gateway';
import { loadAuth } from '../../../apps/gateway/src/auth/auth.ts';
import banking from '../../../packages/banking-context/src/index.ts';

export { banking };

/**
 * Banking through createGateway's in-process app (`app.request`, an admin token signed
 * with local keys under `home`): what bench B1 and B2 and the profiles post deposits to.
 */
export async function bankingGateway(runtime: Runtime, home: string) {
  const auth = await loadAuth(home);
  const app = createGateway({ runtime, contexts: [banking], auth, logger: createLogger('silent', 'gateway') });
  const token = (await auth.issue({ sub: 'admin', role: 'admin' })).token;
  /** A deposit of $1 at republic; `wait` asks for `Prefer: wait=10`. Anything but 200 or 202 throws. */
  const deposit = async (customer: string, wait: boolean) => {
    const response = await app.request(`/api/banking/accounts/${customer}/republic/deposits`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(wait ? { Prefer: 'wait=10' } : {}) },
      body: JSON.stringify({ amountCents: 100 }),
    });
    const body = await response.text();
    if (response.status !== 200 && response.status !== 202) throw new Error(`deposit ${customer}: ${response.status} ${body.slice(0, 300)}`);
    return { status: response.status, eventId: (JSON.parse(body) as { events: { id: string }[] }).events[0]?.id };
  };
  return { app, token, deposit };
}
