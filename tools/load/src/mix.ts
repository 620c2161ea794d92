import { header, json, type Answer, type Call } from './gateway.ts';
import { hostileEpisodes } from './hostile.ts';
import type { MoneyWrite } from './ledger.ts';
import { between, pick, type ClientState, type Session } from './session.ts';
import { book, sendMoneyWrite } from './writes.ts';

/** One thing a virtual client does: a request or a few that belong together. */
export type Step = (session: Session, client: ClientState) => Promise<void>;

export interface WeightedStep {
  name: string;
  weight: number;
  step: Step;
}

/** Someone who may read every context: an owner, the admin or a consumer key scoped to all. */
function reader(session: Session): string {
  const { admin, consumer, owners } = session.callers;
  return pick([admin, consumer, ...owners.values()]);
}

const customerOf = (session: Session) => pick(session.ledger.accounts).customer;

/** A read; the path may depend on the session (a customer drawn from the ledger's). */
function read(route: string, path: string | ((session: Session) => string)): Step {
  return async (session) => {
    const target = typeof path === 'string' ? path : path(session);
    await session.gateway.send({ category: 'read', route, method: 'GET', path: target, token: reader(session) });
  };
}

/** A list read, then its next page when the answer has a cursor. */
function paged(route: string, path: string): Step {
  return async (session) => {
    const token = reader(session);
    const first = await session.gateway.send({ category: 'read', route, method: 'GET', path, token });
    const cursor = json<{ cursor?: string }>(first)?.cursor;
    if (cursor) await session.gateway.send({ category: 'read', route, method: 'GET', path: `${path}&cursor=${encodeURIComponent(cursor)}`, token });
  };
}

/** The next page of a context's published feed from this client's cursor; a page at the head marks where long-polls wait. */
function feedPage(context: 'banking' | 'orders'): Step {
  return async (session, client) => {
    const after = client.cursors.get(context);
    const answer = await session.gateway.send({
      category: 'feed',
      route: `GET /api/${context}/feed`,
      method: 'GET',
      path: `/api/${context}/feed?limit=100${after ? `&after=${after}` : ''}`,
      token: pick([session.callers.consumer, session.callers.admin]),
    });
    followFeed(session, client, context, answer);
  };
}

function followFeed(session: Session, client: ClientState, context: string, answer: Answer): void {
  const next = header(answer, 'eventloom-cursor');
  if (answer.status !== 200 || !next) return;
  client.cursors.set(context, next);
  if (header(answer, 'eventloom-at-head') === 'true') session.heads.set(context, next);
}

/** Holds a stream for a few seconds, within the caller's share of streams; a plain read when that is used up. */
function held(build: (session: Session, token: string, holdMs: number) => Omit<Call, 'token' | 'holdMs' | 'category'> | undefined): Step {
  return async (session, client) => {
    const token = pick([session.callers.consumer, session.callers.admin]);
    const holdMs = Math.min(between(1_000, 3_000), Math.max(0, session.until - performance.now()));
    const call = build(session, token, holdMs);
    if (!call || !session.streams.take(token)) return feedPage('banking')(session, client);
    try {
      const answer = await session.gateway.send({ ...call, category: 'stream', token, holdMs });
      if (call.route.endsWith('/feed')) followFeed(session, client, 'banking', answer);
    } finally {
      session.streams.give(token);
    }
  };
}

const liveStream = held(() => ({ route: 'GET /api/live', method: 'GET', path: `/api/live?contexts=${pick(['banking', 'banking,reporting', 'orders'])}` }));

const feedStream = held((session) => {
  const head = session.heads.get('banking');
  return head ? { route: 'GET /api/banking/feed/stream', method: 'GET', path: `/api/banking/feed/stream?after=${head}` } : undefined;
});

const longPoll = held((session, _token, holdMs) => {
  const head = session.heads.get('banking');
  const wait = Math.max(1, Math.round(holdMs / 1000));
  return head ? { route: 'GET /api/banking/feed', method: 'GET', path: `/api/banking/feed?after=${head}&wait=${wait}` } : undefined;
});

/** A deposit or withdrawal with a fresh idempotency key, by the bank's owner or the admin; its answer goes to the ledger. */
function money(kind: MoneyWrite['kind']): Step {
  return async (session, client) => {
    const account = pick(session.ledger.accounts);
    const owner = session.callers.owners.get(account.bank);
    const write: MoneyWrite = {
      account,
      kind,
      amountCents: kind === 'deposit' ? between(100, 50_000) : between(100, 30_000),
      idempotencyKey: `load-${session.run}-${client.id}-${++client.writes}`,
      token: owner && Math.random() < 0.7 ? owner : session.callers.admin,
    };
    book(session.ledger, write, await sendMoneyWrite(session.gateway, write));
  };
}

/**
 * The mix, by weight: mostly reads, a fifth writes, a few feeds and held streams, and
 * hostile episodes (each several requests) making up roughly a tenth to a fifth of all
 * requests (none with `hostile: false`, for a baseline).
 */
export function requestMix(options: { hostile?: boolean } = {}): WeightedStep[] {
  const legit: WeightedStep[] = [
    { name: 'balances of a customer', weight: 8, step: read('GET /api/banking/balances', (s) => `/api/banking/balances?customer=${customerOf(s)}`) },
    { name: 'balances, two pages', weight: 3, step: paged('GET /api/banking/balances', '/api/banking/balances?limit=25') },
    { name: 'a customer', weight: 6, step: read('GET /api/banking/customers/{customer}', (s) => `/api/banking/customers/${customerOf(s)}`) },
    { name: 'banking events', weight: 5, step: read('GET /api/banking/events', (s) => `/api/banking/events?customer=${customerOf(s)}&limit=20`) },
    { name: 'banks', weight: 4, step: read('GET /api/banking/banks', '/api/banking/banks') },
    { name: 'categories', weight: 3, step: read('GET /api/orders/categories', '/api/orders/categories') },
    { name: 'movies, two pages', weight: 3, step: paged('GET /api/orders/movies', '/api/orders/movies?limit=20') },
    { name: 'orders per hour', weight: 3, step: read('GET /api/reporting/orders/hourly', '/api/reporting/orders/hourly') },
    { name: 'orders today', weight: 3, step: read('GET /api/reporting/orders/today', '/api/reporting/orders/today') },
    { name: 'top movies', weight: 2, step: read('GET /api/reporting/movies/top', '/api/reporting/movies/top') },
    { name: 'popular categories', weight: 2, step: read('GET /api/reporting/categories/popular', '/api/reporting/categories/popular') },
    { name: 'alerts', weight: 2, step: read('GET /api/reporting/alerts', '/api/reporting/alerts') },
    { name: 'banking feed', weight: 5, step: feedPage('banking') },
    { name: 'orders feed', weight: 2, step: feedPage('orders') },
    { name: 'deposit', weight: 13, step: money('deposit') },
    { name: 'withdrawal', weight: 9, step: money('withdraw') },
    { name: 'live stream', weight: 0.6, step: liveStream },
    { name: 'feed stream', weight: 0.4, step: feedStream },
    { name: 'long-poll', weight: 0.6, step: longPoll },
  ];
  return options.hostile === false ? legit : [...legit, ...hostileEpisodes()];
}

/** Draws a step by weight. */
export function draw(mix: WeightedStep[]): WeightedStep {
  const total = mix.reduce((sum, s) => sum + s.weight, 0);
  let at = Math.random() * total;
  for (const step of mix) {
    at -= step.weight;
    if (at < 0) return step;
  }
  return mix.at(-1)!;
}
