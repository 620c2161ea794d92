import type { SampleMovie } from '@eventloom/orders-context/testing';

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export interface BatchOutcome {
  stored: number;
  duplicates: number;
  rejected: number;
  /** Field errors of rejected orders (the first few, for the final report). */
  errors: Record<string, string[]>[];
  /** Sent to an event hub, which does not answer per order: the consumer stores or refuses them. */
  enqueued?: number;
}

/** The gateway as the generator sees it: sign in, read the catalog, send batches. */
export class GatewayClient {
  private readonly base: string;
  private readonly fetch: Fetch;
  private token = '';

  constructor(base: string, fetch: Fetch = globalThis.fetch) {
    this.base = base.replace(/\/+$/, '');
    this.fetch = fetch;
  }

  async signIn(username: string, password: string): Promise<void> {
    const response = await this.fetch(`${this.base}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    }).catch((error: Error & { cause?: { code?: string } }) => {
      throw new Error(`cannot reach the gateway at ${this.base} (${error.cause?.code ?? error.message}); is it running (./eventloom up)?`);
    });
    if (!response.ok) throw new Error(`sign-in as ${username} failed: ${response.status} ${await detail(response)}`);
    this.token = ((await response.json()) as { token: string }).token;
  }

  /** Every movie of the catalog, a page at a time. */
  async movies(): Promise<SampleMovie[]> {
    const movies: SampleMovie[] = [];
    let cursor: string | undefined;
    do {
      const response = await this.fetch(`${this.base}/api/orders/movies?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: this.headers() });
      if (!response.ok) throw new Error(`reading the catalog failed: ${response.status} ${await detail(response)}`);
      const page = (await response.json()) as { items: { id: number; priceCents: number }[]; cursor?: string };
      movies.push(...page.items.map((m) => ({ id: m.id, priceCents: m.priceCents })));
      cursor = page.cursor;
    } while (cursor);
    return movies;
  }

  /**
   * Sends orders as NDJSON. A body the gateway finds too large is split in two; a
   * failed or unanswered request is re-sent whole (what was stored comes back as
   * duplicates, so nothing is doubled), up to `attempts` times.
   */
  async send(orders: unknown[], attempts = 4): Promise<BatchOutcome> {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(`${this.base}/api/orders/orders/batch`, {
          method: 'POST',
          headers: { ...this.headers(), 'Content-Type': 'application/x-ndjson' },
          body: orders.map((o) => JSON.stringify(o)).join('\n'),
        });
      } catch (error) {
        if (attempt >= attempts) throw error;
        await pause(attempt);
        continue;
      }
      if (response.status === 413 && orders.length > 1) {
        await response.body?.cancel();
        const half = Math.ceil(orders.length / 2);
        return merge(await this.send(orders.slice(0, half), attempts), await this.send(orders.slice(half), attempts));
      }
      if (response.ok) {
        const body = (await response.json()) as { stored: number; duplicates: number; rejected: number; results: { errors?: Record<string, string[]> }[] };
        return { stored: body.stored, duplicates: body.duplicates, rejected: body.rejected, errors: body.results.flatMap((r) => (r.errors ? [r.errors] : [])).slice(0, 5) };
      }
      if ((response.status >= 500 || response.status === 429) && attempt < attempts) {
        await response.body?.cancel();
        await pause(attempt);
        continue;
      }
      throw new Error(`batch of ${orders.length} refused: ${response.status} ${await detail(response)}`);
    }
  }

  private headers(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }
}

function merge(a: BatchOutcome, b: BatchOutcome): BatchOutcome {
  return { stored: a.stored + b.stored, duplicates: a.duplicates + b.duplicates, rejected: a.rejected + b.rejected, errors: [...a.errors, ...b.errors].slice(0, 5) };
}

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));

async function detail(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { detail?: string; title?: string; errors?: unknown };
    return [problem.title, problem.detail, problem.errors ? JSON.stringify(problem.errors) : ''].filter(Boolean).join(' — ');
  } catch {
    return text.slice(0, 200);
  }
}
