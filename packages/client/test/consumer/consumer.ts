/**
 * A consumer of the gateway written against nothing but the types openapi-typescript
 * generates from /openapi.json (./gateway.ts) and the platform's fetch: it deposits
 * with Prefer: wait and an Idempotency-Key, reads problems, and pages through banking's feed.
 */
import type { components, paths } from './gateway.ts';

type Deposit = paths['/api/banking/accounts/{customer}/{bank}/deposits']['post'];
type Accepted = Deposit['responses'][200]['content']['application/json'];
type Problem = components['schemas']['Problem'];
type CloudEvent = components['schemas']['CloudEvent'];
type Bank = Deposit['parameters']['path']['bank'];

export async function deposit(gateway: string, token: string, customer: string, bank: Bank, amountCents: number): Promise<Accepted> {
  const body: Deposit['requestBody']['content']['application/json'] = { amountCents, memo: 'from a consumer' };
  const response = await fetch(`${gateway}/api/banking/accounts/${encodeURIComponent(customer)}/${bank}/deposits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'wait=5', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(explain((await response.json()) as Problem));
  return (await response.json()) as Accepted;
}

/** `amountCents: must be positive` for a validation problem, else its detail or title. */
export function explain(problem: Problem): string {
  const fields = Object.entries(problem.errors ?? {}).map(([field, messages]) => `${field}: ${messages.join(', ')}`);
  return fields.length > 0 ? fields.join('; ') : (problem.detail ?? problem.title);
}

/** Every event of banking's feed so far, following the cursor the gateway hands back. */
export async function readFeed(gateway: string, key: string): Promise<CloudEvent[]> {
  type Feed = paths['/api/banking/feed']['get'];
  const events: CloudEvent[] = [];
  let query: NonNullable<Feed['parameters']['query']> = { limit: 100 };
  for (;;) {
    const response = await fetch(`${gateway}/api/banking/feed?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`, { headers: { authorization: `Bearer ${key}` } });
    const page = (await response.json()) as Feed['responses'][200]['content']['application/cloudevents-batch+json'];
    events.push(...page);
    if (response.headers.get('eventloom-at-head') === 'true') return events;
    query = { ...query, after: response.headers.get('eventloom-cursor') ?? '' };
  }
}

export function balanceAfter(accepted: Accepted): string {
  return accepted.status === 'applied' ? `now ${accepted.balanceAfterCents ?? 0} cents` : `accepted, see ${accepted.statusUrl}`;
}
