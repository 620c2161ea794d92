import { adminPath } from './admin/routes.ts';
import { livePath } from './live.ts';
import { problems, type AppEnv, type Principal, type Runtime } from '@eventloom/core';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** What one caller, one address and the whole gateway may use. Every figure is configurable. */
export interface QuotaSettings {
  /** Failed sign-ins per account per window; the next attempt waits for the window to pass. */
  signInFailuresPerAccount: number;
  /** Failed sign-ins per client address per window (each runs scrypt, unknown users too). */
  signInAttemptsPerAddress: number;
  signInWindowSeconds: number;
  /** Open SSE streams and long-polls per principal, and in total, on one gateway instance. */
  streamsPerPrincipal: number;
  streamsTotal: number;
  /** Webhook subscriptions one consumer (or admin) may hold. */
  webhooksPerOwner: number;
}

export const defaultQuotas: QuotaSettings = {
  signInFailuresPerAccount: 10,
  signInAttemptsPerAddress: 100,
  signInWindowSeconds: 300,
  streamsPerPrincipal: 20,
  streamsTotal: 2000,
  webhooksPerOwner: 25,
};

/**
 * Quotas with the standard answer: 429, a Retry-After header and problem JSON naming the
 * quota. Sign-in counters live in Redis when the runtime has it (every gateway instance
 * counts together), in memory otherwise and while Redis does not answer. Open streams are
 * counted per instance: they hold this process's sockets and bus subscriptions.
 */
export class Quotas {
  readonly settings: QuotaSettings;
  private readonly perAccount: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;
  private readonly refusals: Counter<'quota'>;
  private readonly openStreams = new Map<string, number>();
  private streamsOpen = 0;

  constructor(runtime: Runtime, registry: Registry, settings: Partial<QuotaSettings> = {}) {
    this.settings = { ...defaultQuotas, ...settings };
    const { signInWindowSeconds: duration } = this.settings;
    const limiter = (keyPrefix: string, points: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix, points, duration });
      const redis = runtime.bus.redis;
      if (!redis) return memory;
      // Under the store's namespace (other stores' gateways may share the Redis); a Redis that fails falls back to memory.
      return new RateLimiterRedis({ storeClient: redis, keyPrefix: runtime.bus.key(`eventloom:quota:${keyPrefix}`), points, duration, insuranceLimiter: memory });
    };
    this.perAccount = limiter('signin-account', this.settings.signInFailuresPerAccount);
    this.perAddress = limiter('signin-address', this.settings.signInAttemptsPerAddress);
    this.refusals = new Counter({ name: 'eventloom_quota_refusals_total', help: 'Requests answered 429 because a quota was used up', labelNames: ['quota'], registers: [registry] });
  }

  private refuse(quota: string, detail: string, retryAfterSeconds: number): never {
    this.refusals.inc({ quota });
    throw problems.tooMany(quota, detail, retryAfterSeconds);
  }

  /**
   * Before the password is checked: refuses an account or an address whose failures used
   * up the window, without spending scrypt. Successful sign-ins never count (many people
   * sign in from behind one address, the portal's among them).
   */
  async beforeSignIn(username: string, address: string): Promise<void> {
    const account = await this.perAccount.get(accountKey(username));
    if (account && account.consumedPoints >= this.settings.signInFailuresPerAccount) {
      this.refuse('sign-in-account', `Too many failed sign-ins for ${username}; try again later.`, account.msBeforeNext / 1000);
    }
    const from = await this.perAddress.get(address);
    if (from && from.consumedPoints >= this.settings.signInAttemptsPerAddress) {
      this.refuse('sign-in-address', 'Too many failed sign-ins from this address; try again later.', from.msBeforeNext / 1000);
    }
  }

  async signInFailed(username: string, address: string): Promise<void> {
    await Promise.all([this.perAccount.penalty(accountKey(username), 1).catch(() => undefined), this.perAddress.penalty(address, 1).catch(() => undefined)]);
  }

  async signInSucceeded(username: string): Promise<void> {
    await this.perAccount.delete(accountKey(username)).catch(() => undefined);
  }

  /** Takes a stream slot for the principal, or refuses; the returned function gives it back (once). */
  openStream(principal: Principal): () => void {
    const mine = this.openStreams.get(principal.sub) ?? 0;
    if (mine >= this.settings.streamsPerPrincipal) {
      this.refuse('streams-per-principal', `You have ${mine} streams open; close one (at most ${this.settings.streamsPerPrincipal}).`, 5);
    }
    if (this.streamsOpen >= this.settings.streamsTotal) this.refuse('streams-total', 'This gateway holds as many streams as it may; try again shortly.', 5);
    this.openStreams.set(principal.sub, mine + 1);
    this.streamsOpen++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.streamsOpen--;
      const left = (this.openStreams.get(principal.sub) ?? 1) - 1;
      if (left > 0) this.openStreams.set(principal.sub, left);
      else this.openStreams.delete(principal.sub);
    };
  }

  /** Refuses a new webhook subscription when the owner holds its quota already. */
  checkWebhooks(owner: string, held: number): void {
    if (held >= this.settings.webhooksPerOwner) {
      this.refuse('webhooks-per-owner', `${owner} holds ${held} webhook subscriptions already (at most ${this.settings.webhooksPerOwner}); delete one first.`, 60);
    }
  }

  /**
   * Counts the requests that hold a connection open (SSE streams, long-polls with
   * `wait`) until their response body ends or the client goes.
   */
  streams(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const principal = c.get('principal');
      if (!principal || !holdsOpen(c)) return next();
      const release = this.openStream(principal);
      try {
        await next();
      } catch (error) {
        release();
        throw error;
      }
      const body = c.res.body;
      if (!body) return release();
      const reader = body.getReader();
      const wrapped = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (done) {
              release();
              controller.close();
            } else controller.enqueue(value);
          } catch (error) {
            release();
            controller.error(error);
          }
        },
        async cancel(reason) {
          release();
          await reader.cancel(reason).catch(() => undefined);
        },
      });
      c.res = new Response(wrapped, c.res);
    };
  }
}

const accountKey = (username: string) => username.trim().toLowerCase();

/**
 * The client's address: the socket's, or the first `X-Forwarded-For` entry when the socket
 * is loopback (the portal, or a proxy on the same machine, passes the browser's address on).
 */
export function clientAddress(c: Context): string {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    peer = undefined;
  }
  const loopback = peer === undefined || peer === '::1' || peer.startsWith('127.') || peer === '::ffff:127.0.0.1';
  const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
  if (loopback && forwarded && forwarded.length <= 64) return forwarded;
  return peer ?? 'unknown';
}

/** A request that holds its connection open: an SSE stream, or a long-poll with `wait`. */
export function holdsOpen(c: Context): boolean {
  if (c.req.method !== 'GET') return false;
  const path = c.req.path;
  if (path === livePath || path === `${adminPath}/live` || /^\/api\/[^/]+\/feed\/stream$/.test(path)) return true;
  if (/^\/api\/[^/]+\/feed$/.test(path)) return Number(c.req.query('wait') ?? 0) > 0;
  return false;
}
