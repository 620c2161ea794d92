import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup as lookupAll } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';

/**
 * Where webhooks may be delivered. `public` (the default): only public unicast
 * addresses, so a consumer cannot make the gateway POST to loopback, the private
 * network or a cloud metadata endpoint. `any`: no restriction, for local development
 * where receivers run on the same machine (`./eventloom up` sets it).
 */
export type WebhookTargets = 'public' | 'any';

export const webhookTargetsVariable = 'EVENTLOOM_WEBHOOK_TARGETS';

export function webhookTargets(env: NodeJS.ProcessEnv = process.env): WebhookTargets {
  const value = env[webhookTargetsVariable] ?? 'public';
  if (value !== 'public' && value !== 'any') {
    throw new Error(`${webhookTargetsVariable} must be "public" (deliver only to public addresses) or "any"; it is "${value}"`);
  }
  return value;
}

/** The kind of a non-public address (`loopback`, `private`, …), or undefined for a public one. */
export function notPublic(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid';
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? undefined : range;
}

const hostOf = (url: string) => new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');

/** Why a URL may not receive webhooks under the policy (its host is checked through DNS), or undefined. */
export async function refusedTarget(url: string, targets: WebhookTargets): Promise<string | undefined> {
  if (targets === 'any') return undefined;
  const host = hostOf(url);
  let addresses: LookupAddress[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookupAll(host, { all: true });
  } catch {
    return `host ${host} does not resolve`;
  }
  for (const { address } of addresses) {
    const kind = notPublic(address);
    if (kind) return `${host} is ${address === host ? '' : `at ${address}, `}a ${kind} address; webhooks go to public addresses only (${webhookTargetsVariable}=any lifts this)`;
  }
  return undefined;
}

/**
 * An HTTP dispatcher that checks every address it connects to, so a name that
 * resolved to a public address at registration and to a private one later (DNS
 * rebinding) is still refused. Undefined when every target is allowed.
 */
export function deliveryDispatcher(targets: WebhookTargets): Agent | undefined {
  if (targets === 'any') return undefined;
  return new Agent({ connect: { lookup: guardedLookup } });
}

/** Refuses a delivery to a literal non-public IP before connecting (no lookup happens for those). */
export function refusedLiteral(url: string, targets: WebhookTargets): string | undefined {
  if (targets === 'any') return undefined;
  const host = hostOf(url);
  const kind = isIP(host) ? notPublic(host) : undefined;
  return kind && `${host} is a ${kind} address; webhooks go to public addresses only`;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find(({ address }) => notPublic(address));
    if (refused) {
      const problem: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${refused.address}, a ${notPublic(refused.address)} address; webhooks go to public addresses only`);
      problem.code = 'EADDRNOTPUBLIC';
      return callback(problem, []);
    }
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    return callback(null, first!.address, first!.family);
  });
}
