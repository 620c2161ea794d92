import { Agent, request as httpRequest } from 'node:http';
import { banks, type BankId } from '@eventloom/banking-context/contracts';
import { errorName, header, type Answer, type Call } from './gateway.ts';
import type { MoneyWrite } from './ledger.ts';
import { between, pick, type ClientState, type Session } from './session.ts';
import type { Category } from './tally.ts';
import { book, isDuplicate, moneyPath, moneyRoute, sendMoneyWrite } from './writes.ts';

/**
 * The hostile requests of issue 11, mixed into the load, each held to the answer it must
 * get. Bodies that must be refused go to a customer outside the ledger, so one that got
 * through shows here and not as a wrong balance.
 */
type Episode = (session: Session, client: ClientState) => Promise<void>;

const outsider = 'LDX';

const is4xx = (a: Answer) => a.status >= 400 && a.status < 500;
const status = (...wanted: number[]) => (a: Answer) => wanted.includes(a.status);
const quotaRefusal = (a: Answer) => a.status === 429 && Number(header(a, 'retry-after')) > 0;

/**
 * Sends one hostile request and judges its answer. Streams of the flood count as streams
 * in the latency figures (a held long-poll is not a slow refusal).
 */
async function hostile(session: Session, kind: string, call: Omit<Call, 'category' | 'abusive'>, expected: string, ok: (a: Answer) => boolean, category: Category = 'hostile'): Promise<Answer> {
  const answer = await session.gateway.send({ ...call, category, abusive: true });
  session.hostile.judge(kind, `${call.method} ${call.path.slice(0, 120)}`, expected, answer, ok(answer));
  return answer;
}

const bankIds: BankId[] = banks.map((bank) => bank.id);

/** A writer for a bank's accounts: its owner when the run has one, else the admin. */
const writerFor = (session: Session, bank: BankId) => session.callers.owners.get(bank) ?? session.callers.admin;

const hugeRange: Episode = async (session) => {
  const path = '/api/reporting/orders/hourly?from=0001-01-01T00:00:00Z&to=9999-01-01T00:00:00Z';
  await hostile(session, 'hourly report over 9,999 years', { route: 'GET /api/reporting/orders/hourly', method: 'GET', path, token: session.callers.consumer }, '4xx', is4xx);
};

/** Bodies with prototype keys (from the gateway's hardening test): 400, nothing written. */
const prototypeBodies: { context: string; path: (bank: BankId) => string; route: string; body: string }[] = [
  { context: 'banking', route: moneyRoute('deposit'), path: (bank) => `/api/banking/accounts/${outsider}/${bank}/deposits`, body: '{"__proto__":{"x":1}}' },
  { context: 'banking', route: moneyRoute('deposit'), path: (bank) => `/api/banking/accounts/${outsider}/${bank}/deposits`, body: '{"amountCents":100,"constructor":{"prototype":{}}}' },
  { context: 'banking', route: moneyRoute('withdraw'), path: (bank) => `/api/banking/accounts/${outsider}/${bank}/withdrawals`, body: '{"amountCents":100,"constructor":1,"toString":2,"hasOwnProperty":3}' },
  { context: 'banking', route: 'POST /api/banking/transactions', path: () => '/api/banking/transactions', body: `{"customer":"${outsider}","bank":"republic","type":"deposit","amountCents":100,"__proto__":{"amountCents":5}}` },
  { context: 'orders', route: 'POST /api/orders/orders', path: () => '/api/orders/orders', body: '{"__proto__":{"Region":"West"}}' },
  { context: 'orders', route: 'POST /api/orders/orders/batch', path: () => '/api/orders/orders/batch', body: '[{"constructor":{"prototype":{"polluted":true}}}]' },
];

const prototypeKeys: Episode = async (session) => {
  const chosen = pick(prototypeBodies);
  const bank: BankId = chosen.body.includes('"bank":"republic"') ? 'republic' : pick(bankIds);
  const token = chosen.context === 'banking' && Math.random() < 0.5 ? writerFor(session, bank) : session.callers.admin;
  await hostile(session, 'prototype key in the body', { route: chosen.route, method: 'POST', path: chosen.path(bank), token, body: chosen.body }, '400', status(400));
};

const brokenBodies = ['{"amountCents": 100', "{'amountCents':100}", '{"amountCents":100,}', 'nul', '{"a" 1}', '{"amountCents":100}{}', ''];

const brokenJson: Episode = async (session) => {
  const bank = pick(bankIds);
  const body = pick(brokenBodies);
  await hostile(session, 'broken JSON', { route: moneyRoute('deposit'), method: 'POST', path: `/api/banking/accounts/${outsider}/${bank}/deposits`, token: writerFor(session, bank), body }, '400', status(400));
};

const deepBodies = [() => '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000), () => '['.repeat(20_000) + ']'.repeat(20_000), () => '['.repeat(30_000)];

const deepJson: Episode = async (session) => {
  const bank = pick(bankIds);
  const body = pick(deepBodies)();
  // Not the orders batch: it takes any array and judges each item on its own (200 with the item rejected).
  const [route, path] = Math.random() < 0.7 ? [moneyRoute('deposit'), `/api/banking/accounts/${outsider}/${bank}/deposits`] : ['POST /api/orders/orders', '/api/orders/orders'];
  await hostile(session, 'deeply nested JSON', { route, method: 'POST', path, token: session.callers.admin, body }, '400', status(400));
};

const repeatedContexts: Episode = async (session) => {
  const path = Math.random() < 0.5 ? `/api/live?contexts=${Array.from({ length: 500 }, () => 'counter').join(',')}` : '/api/live?contexts=counter,banking,counter';
  await hostile(session, 'live stream naming a context twice', { route: 'GET /api/live', method: 'GET', path, token: pick([session.callers.consumer, session.callers.admin]), holdMs: 0 }, '400', status(400));
};

const foreignScopes: { route: string; path: string }[] = [
  { route: 'GET /api/banking/balances', path: '/api/banking/balances?limit=10' },
  { route: 'GET /api/banking/feed', path: '/api/banking/feed?limit=10' },
  { route: 'GET /api/reporting/orders/today', path: '/api/reporting/orders/today' },
  { route: 'GET /api/live', path: '/api/live?contexts=banking' },
];

const foreignScope: Episode = async (session) => {
  const { route, path } = pick(foreignScopes);
  await hostile(session, 'consumer key outside its scope', { route, method: 'GET', path, token: session.callers.ordersOnly, holdMs: 0 }, '403', status(403));
};

/**
 * A key used again: by another caller (refused before the key can answer: 403), by the
 * same caller for another body (422), and for the same body (the first answer, marked
 * duplicate). The first write is a real one, booked in the ledger.
 */
const idempotencyReuse: Episode = async (session, client) => {
  const account = pick(session.ledger.accounts.filter((a) => session.callers.owners.has(a.bank)));
  if (!account) return;
  const owner = session.callers.owners.get(account.bank)!;
  const other = [...session.callers.owners].find(([bank]) => bank !== account.bank)?.[1] ?? session.callers.ordersOnly;
  const write: MoneyWrite = { account, kind: 'deposit', amountCents: between(100, 5_000), idempotencyKey: `load-${session.run}-${client.id}-${++client.writes}`, token: owner };
  const first = await sendMoneyWrite(session.gateway, write);
  if (book(session.ledger, write, first) !== 'acknowledged') return;
  const kind = 'idempotency key used again';
  const request = (what: string) => `POST ${moneyPath(write)} (${what}, key ${write.idempotencyKey})`;
  const byOther = await sendMoneyWrite(session.gateway, write, { token: other, category: 'hostile', abusive: true });
  session.hostile.judge(kind, request('another caller'), '403', byOther, byOther.status === 403);
  const otherBody: MoneyWrite = { ...write, amountCents: write.amountCents + 1 };
  const changed = await sendMoneyWrite(session.gateway, otherBody, { category: 'hostile', abusive: true });
  session.hostile.judge(kind, request('another body'), '422', changed, changed.status === 422);
  // Applied anyway: it moved money the ledger must know of, under a key of its own.
  if (changed.status >= 200 && changed.status < 300 && !isDuplicate(changed)) session.ledger.acknowledged({ ...otherBody, idempotencyKey: `${write.idempotencyKey}#other-body` });
  const again = await sendMoneyWrite(session.gateway, write, { category: 'hostile', abusive: true });
  session.hostile.judge(kind, request('the same body again'), '2xx marked duplicate', again, again.status >= 200 && again.status < 300 && isDuplicate(again));
};

/** Failed sign-ins for one made-up user: 401 (or 429 once the address's quota is used up), and 429 past the account's quota of 10. */
let floods = 0;
const signInFlood: Episode = async (session) => {
  const username = `load-${session.run}-flood-${++floods}`;
  for (let attempt = 1; attempt <= 12; attempt++) {
    const pastQuota = attempt > 10;
    await hostile(
      session,
      'sign-in flood (wrong passwords)',
      { route: 'POST /auth/token', method: 'POST', path: '/auth/token', headers: { 'x-forwarded-for': session.floodAddress }, body: JSON.stringify({ username, password: 'not-the-password' }) },
      pastQuota ? '429 with Retry-After' : '401, or 429 with Retry-After',
      pastQuota ? quotaRefusal : (a) => a.status === 401 || quotaRefusal(a),
    );
  }
};

/**
 * More streams than the per-principal quota (20 by default) at once, for a key of the
 * flood's own: each is opened or refused with 429 and Retry-After, and some are refused.
 * Every stream that opened is held until all have been answered, so they overlap however
 * slowly the gateway answers.
 */
const floodSize = 26;
const streamFlood: Episode = async (session) => {
  const orders = session.heads.get('orders');
  let answered = 0;
  let releaseAll = () => {};
  const released = new Promise<void>((resolve) => (releaseAll = resolve));
  const safety = setTimeout(releaseAll, 30_000);
  const answeredOne = () => {
    if (++answered === floodSize) setTimeout(releaseAll, 200);
  };
  const answers = await Promise.all(
    Array.from({ length: floodSize }, async (_, i) => {
      // Long-polls at the head of the orders feed (no orders are written during the load, so they stay held).
      const poll = orders && i % 5 === 4;
      const call: Omit<Call, 'category' | 'abusive'> = poll
        ? { route: 'GET /api/orders/feed', method: 'GET', path: `/api/orders/feed?after=${orders}&wait=3`, token: session.callers.flood }
        : { route: 'GET /api/live', method: 'GET', path: `/api/live?contexts=${pick(['banking', 'orders'])}`, token: session.callers.flood, release: released, opened: answeredOne };
      const answer = await hostile(session, 'stream flood (one key)', call, '200, or 429 with Retry-After', (a) => a.status === 200 || quotaRefusal(a), 'stream');
      if (!answer.streamed) answeredOne();
      return answer;
    }),
  );
  clearTimeout(safety);
  const refused = answers.filter(quotaRefusal).length;
  const summary: Answer = { status: refused > 0 ? 429 : 200, ms: 0, headers: {}, text: `${refused} of ${floodSize} refused`, streamed: false };
  session.hostile.judge('stream flood (one key)', `${floodSize} streams at once`, 'some refused with 429', summary, refused > 0);
};

/**
 * A 3 MB body on a keep-alive connection of its own: 413, and then the same connection
 * answers the next request, unless the 413 said Connection: close (then a new one must).
 */
const threeMegabytes = JSON.stringify({ amountCents: 100, memo: 'x'.repeat(3 * 1024 * 1024) });
const oversized: Episode = async (session) => {
  const kind = '3 MB body';
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const bank = pick(bankIds);
    const path = `/api/banking/accounts/${outsider}/${bank}/deposits`;
    const call = { category: 'hostile' as const, route: moneyRoute('deposit'), path, abusive: true };
    const refused = await rawRequest(session.gateway.url, agent, 'POST', path, writerFor(session, bank), threeMegabytes);
    session.gateway.observe(call, refused);
    session.hostile.judge(kind, `POST ${path} (3 MB)`, '413', refused, refused.status === 413);
    const closed = header(refused, 'connection') === 'close';
    // The signing key: public and static, so only the connection decides whether it answers.
    const next = await rawRequest(session.gateway.url, agent, 'GET', '/.well-known/jwks.json');
    session.gateway.observe({ category: 'hostile', route: 'GET /.well-known/jwks.json', path: '/.well-known/jwks.json (after a 413)', abusive: true }, next);
    session.hostile.judge(kind, `GET /.well-known/jwks.json on the connection after the 413${closed ? ' (it said Connection: close)' : ''}`, '200', next, next.status === 200);
  } finally {
    agent.destroy();
  }
};

/** One request over node:http with `agent`; an answer that arrived counts even if the socket then fails. */
function rawRequest(base: string, agent: Agent, method: string, path: string, token?: string, body?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    let answered = false;
    const request = httpRequest(`${base}${path}`, { method, headers, agent, timeout: 30_000 }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      const finish = () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started, headers: response.headers, text: Buffer.concat(chunks).toString('utf8'), streamed: false });
      response.on('end', finish);
      response.on('error', finish);
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 30 s')));
    // The server may answer 413 and close before the whole body is written: that is no drop.
    request.on('error', (error) => {
      if (!answered) resolve({ status: 0, ms: performance.now() - started, headers: {}, text: '', error: errorName(error), streamed: false });
    });
    request.end(body);
  });
}

/** The hostile episodes and their weights in the mix (an episode of the floods is a dozen or more requests). */
export function hostileEpisodes(): { name: string; weight: number; step: Episode }[] {
  return [
    { name: 'huge report range', weight: 2, step: hugeRange },
    { name: 'prototype keys', weight: 2, step: prototypeKeys },
    { name: 'broken JSON', weight: 1.5, step: brokenJson },
    { name: 'deeply nested JSON', weight: 1, step: deepJson },
    { name: 'repeated live contexts', weight: 1.5, step: repeatedContexts },
    { name: 'consumer key out of scope', weight: 2, step: foreignScope },
    { name: 'idempotency key used again', weight: 2, step: idempotencyReuse },
    { name: '3 MB body', weight: 0.3, step: oversized },
    { name: 'sign-in flood', weight: 0.25, step: signInFlood },
    { name: 'stream flood', weight: 0.08, step: streamFlood },
  ];
}
