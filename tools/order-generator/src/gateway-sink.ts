import { body, GatewayUnreachable, items, ProblemError, type GatewayClient } from '@eventloom/client';
import type { SampleMovie } from '@eventloom/orders-context/testing';

export interface BatchOutcome {
  stored: number;
  duplicates: number;
  rejected: number;
  /** Field errors of rejected orders (the first few, for the final report). */
  errors: Record<string, string[]>[];
  /** Sent to an event hub, which does not answer per order: the consumer stores or refuses them. */
  enqueued?: number;
}

/** The gateway as the generator sees it, through the typed client: sign in, read the catalog, send batches. */
export class GatewaySink {
  private readonly client: GatewayClient;

  constructor(client: GatewayClient) {
    this.client = client;
  }

  async signIn(username: string, password: string): Promise<void> {
    try {
      await this.client.signIn(username, password);
    } catch (error) {
      if (error instanceof ProblemError) throw new Error(`sign-in as ${username} failed: ${describe(error)}`, { cause: error });
      throw error;
    }
  }

  /** Every movie of the catalog, a page at a time. */
  async movies(): Promise<SampleMovie[]> {
    const movies: SampleMovie[] = [];
    const catalog = items((cursor) => body(this.client.api.GET('/api/orders/movies', { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } })));
    for await (const movie of catalog) movies.push({ id: movie.id, priceCents: movie.priceCents });
    return movies;
  }

  /**
   * Sends orders as NDJSON. A body the gateway finds too large is split in two; a
   * failed or unanswered request is re-sent whole (what was stored comes back as
   * duplicates, so nothing is doubled), up to `attempts` times.
   */
  async send(orders: unknown[], attempts = 4): Promise<BatchOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await body(
          this.client.api.POST('/api/orders/orders/batch', {
            body: orders.map((o) => JSON.stringify(o)).join('\n'),
            // Already NDJSON: sent as it is, not as a JSON string.
            bodySerializer: (ndjson) => String(ndjson),
            headers: { 'content-type': 'application/x-ndjson' },
          }),
        );
        return { stored: reply.stored, duplicates: reply.duplicates, rejected: reply.rejected, errors: reply.results.flatMap((r) => (r.errors ? [r.errors] : [])).slice(0, 5) };
      } catch (error) {
        if (error instanceof ProblemError && error.status === 413 && orders.length > 1) {
          const half = Math.ceil(orders.length / 2);
          return merge(await this.send(orders.slice(0, half), attempts), await this.send(orders.slice(half), attempts));
        }
        const passing = error instanceof GatewayUnreachable || (error instanceof ProblemError && (error.status >= 500 || error.status === 429));
        if (passing && attempt < attempts) {
          await pause(attempt);
          continue;
        }
        if (error instanceof ProblemError) throw new Error(`batch of ${orders.length} refused: ${describe(error)}`, { cause: error });
        throw error;
      }
    }
  }
}

function merge(a: BatchOutcome, b: BatchOutcome): BatchOutcome {
  return { stored: a.stored + b.stored, duplicates: a.duplicates + b.duplicates, rejected: a.rejected + b.rejected, errors: [...a.errors, ...b.errors].slice(0, 5) };
}

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));

/** `403 Forbidden — admins only — {"field":["…"]}`: the status and what the problem says. */
function describe(problem: ProblemError): string {
  const errors = Object.keys(problem.errors).length > 0 ? JSON.stringify(problem.errors) : '';
  return `${problem.status} ${[problem.title, problem.detail, errors].filter(Boolean).join(' — ')}`;
}
