import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Runtime } from '@eventloom/core';
import { ConsumerKeys, SecretBox, WebhookDispatcher, WebhookStore } from '@eventloom/gateway/consumers';
import type { Logger } from 'pino';
import { ledger } from './ledger.ts';
import { draw } from './random.ts';

/** One key for every process of a run: they all read the subscription's sealed secret. */
export type SealingKey = Buffer;
export const sealingKey = (): SealingKey => randomBytes(32);

/** A worker's webhook deliveries, as the gateway runs them where workers run. */
export async function startDeliveries(runtime: Runtime, key: SealingKey, log: Logger): Promise<WebhookDispatcher> {
  const dispatcher = new WebhookDispatcher(runtime, [ledger], new WebhookStore(runtime, new SecretBox(key)), new ConsumerKeys(runtime, log), log, {
    retry: { baseMs: 100, maxMs: 1000, timeoutMs: 3000 },
    idleMs: 500,
    reconcileMs: 1000,
    targets: 'any',
  });
  await dispatcher.start();
  return dispatcher;
}

/** Subscribes the receiver to the ledger's published events from the start of the feed. */
export async function subscribe(runtime: Runtime, key: SealingKey, url: string): Promise<void> {
  await new WebhookStore(runtime, new SecretBox(key)).create({ url, contexts: ['ledger'], owner: 'sim', start: { ledger: 0 } });
}

/**
 * The consumer's end: records every delivery, and while faults are on answers some of
 * them 500, late, or not at all (drawn from the seed and the event).
 */
export class Receiver {
  /** Event ids in the order they first arrived, and how many times each came. */
  readonly first: string[] = [];
  readonly times = new Map<string, number>();
  private readonly server: Server;
  private readonly seed: number;
  faultsOn = false;

  private constructor(seed: number) {
    this.seed = seed;
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string };
        const n = (this.times.get(event.id) ?? 0) + 1;
        const roll = draw(this.seed, 'receiver', event.id, n);
        if (this.faultsOn && roll < 0.04) return void response.writeHead(500).end();
        if (this.faultsOn && roll < 0.06) return void request.socket.destroy();
        const answer = () => {
          this.times.set(event.id, n);
          if (n === 1) this.first.push(event.id);
          response.writeHead(204).end();
        };
        if (this.faultsOn && roll < 0.08) setTimeout(answer, 500 + Math.floor(roll * 10_000));
        else answer();
      });
    });
  }

  static async start(seed: number): Promise<Receiver> {
    const receiver = new Receiver(seed);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    const address = this.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}/hook`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
